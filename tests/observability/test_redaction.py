"""Secrets never reach a log line: by key, inside URLs, and registered values."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loka_stratum.observability.loggers import get_logger
from loka_stratum.observability.redaction import (
    MASK,
    Redactor,
    SecretRegistry,
    is_secret_key,
    mask_url_passwords,
)

from .conftest import Configure, json_lines


def redact(event: dict[str, Any], *secrets: str) -> dict[str, Any]:
    return dict(Redactor(SecretRegistry(secrets))(None, "info", event))


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "passwd",
        "pass",
        "pwd",
        "token",
        "secret",
        "Authorization",
        "cookie",
        "rpc_password",
        "admin_token",
        "api_key",
        "apikey",
        "DATABASE_PASSWORD",
        "x-api-key",
        "client_secret",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)
    assert redact({key: "hunter2"}) == {key: MASK}


@pytest.mark.parametrize("key", ["session_id", "worker", "passes", "tokens", "peer", "user"])
def test_ordinary_keys_stay(key: str) -> None:
    assert not is_secret_key(key)
    assert redact({key: "visible"}) == {key: "visible"}


def test_empty_secret_values_are_left_as_they_are() -> None:
    assert redact({"password": None, "token": ""}) == {"password": None, "token": ""}


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql://loka:s3cret@db:5432/loka", f"postgresql://loka:{MASK}@db:5432/loka"),
        ("http://user:pw@host/path", f"http://user:{MASK}@host/path"),
        ("redis://:pw@redis:6379/0", f"redis://:{MASK}@redis:6379/0"),
        ("stratum+tcp://w.1:x@pool:3333", f"stratum+tcp://w.1:{MASK}@pool:3333"),
        ("dsn=mysql://a:p@ss@h/db ok", f"dsn=mysql://a:{MASK}@h/db ok"),
        ("no password: http://host:8332/ here", "no password: http://host:8332/ here"),
        ("sqlite:///data/loka.db", "sqlite:///data/loka.db"),
    ],
)
def test_url_passwords(text: str, masked: str) -> None:
    assert mask_url_passwords(text) == masked


def test_nested_values_are_walked() -> None:
    event = {
        "event": "connect postgresql://u:pw1234@db/x",
        "config": {"database": {"url": "postgresql://u:pw1234@db/x", "password": "pw1234"}},
        "urls": ["http://a:pw1234@b", 3, None],
        "count": 7,
    }
    assert redact(event) == {
        "event": f"connect postgresql://u:{MASK}@db/x",
        "config": {"database": {"url": f"postgresql://u:{MASK}@db/x", "password": MASK}},
        "urls": [f"http://a:{MASK}@b", 3, None],
        "count": 7,
    }


def test_objects_are_stringified_before_masking() -> None:
    class Dsn:
        def __str__(self) -> str:
            return "postgresql://u:letmein@db"

    assert redact({"dsn": Dsn(), "raw": b"token=abcd1234"}, "abcd1234") == {
        "dsn": f"postgresql://u:{MASK}@db",
        "raw": f"b'token={MASK}'",
    }


def test_short_registered_values_are_ignored() -> None:
    assert redact({"event": "abc is fine"}, "abc") == {"event": "abc is fine"}


_SECRET = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Zs", "Cc"], blacklist_characters="*"),
    min_size=4,
    max_size=24,
)


@given(secret=_SECRET, before=st.text(max_size=20), after=st.text(max_size=20))
def test_a_registered_secret_never_survives(secret: str, before: str, after: str) -> None:
    text = before + secret + after + secret
    out = redact({"event": text, "note": [text], "nested": {"deep": text}}, secret)
    for value in (out["event"], out["note"][0], out["nested"]["deep"]):
        assert secret not in value


@given(secrets=st.lists(_SECRET, min_size=2, max_size=4, unique=True))
def test_overlapping_secrets_are_all_masked(secrets: list[str]) -> None:
    text = " ".join(secrets) + "".join(secrets)
    out = redact({"event": text}, *secrets)["event"]
    assert all(secret not in out for secret in secrets)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_end_to_end_no_secret_in_any_output(configure: Configure, tmp_path: Path) -> None:
    app, security = tmp_path / "app.log", tmp_path / "security.log"
    handle, out = configure(file=app, security_file=security)
    secret = "Tr0ub4dor&3"
    handle.register_secret(secret)
    log = get_logger("loka_stratum.app")
    log.info(f"loaded rpc password {secret}", rpc_password=secret, admin_token="t0k3n-xyz")
    log.info("db", url=f"postgresql://loka:{secret}@db/loka", args=[secret, {"x": secret}])
    logging.getLogger("sqlalchemy.engine").warning("connect %s failed", f"pw={secret}")
    get_logger("loka_stratum.security").warning("auth_failed", tried=secret)
    try:
        raise RuntimeError(f"auth with {secret} refused")
    except RuntimeError:
        log.exception("login failed")
    outputs = [out.getvalue(), app.read_text(), security.read_text()]
    for text in outputs:
        assert secret not in text
        assert "t0k3n-xyz" not in text
        for line in json_lines(text):
            assert all(secret not in s for s in _strings(line))
    assert MASK in outputs[0]
    assert json.loads(outputs[0].splitlines()[0])["fields"]["admin_token"] == MASK


def test_rpc_credentials_in_headers_urls_and_cookies_are_masked() -> None:
    event = redact(
        {
            "event": "rpc to http://bitcoin:rpc-pass-123@127.0.0.1:8332/ failed",
            "headers": {"Authorization": "Basic Yml0Y29pbjpycGMtcGFzcy0xMjM="},
            "rpc_cookie": "__cookie__:0f0e0d0c",
            "database_url": "postgresql+asyncpg://loka:db-pass-456@db:5432/loka",
        }
    )
    text = json.dumps(event)
    for secret in ("rpc-pass-123", "Yml0Y29pbjpycGMtcGFzcy0xMjM=", "0f0e0d0c", "db-pass-456"):
        assert secret not in text


def test_a_secret_registered_later_is_masked_from_then_on(configure: Configure) -> None:
    """A reload that brings a new admin token registers it before anything logs it."""
    handle, out = configure()
    token = "a-new-admin-token-after-reload"
    handle.register_secret(token)
    get_logger("loka_stratum.app").info(f"token now {token}", note=token)
    assert token not in out.getvalue()
