"""``[federation]`` validation: every problem names its key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from loka_stratum.config import Settings
from loka_stratum.config.federation import FederationSettings, split_host_port

SECRET = "a-long-shared-federation-secret"


def test_disabled_by_default_and_needs_no_secret() -> None:
    assert Settings().federation.enabled is False


def test_enabled_without_secret_names_the_key() -> None:
    with pytest.raises(ValidationError, match="secret"):
        FederationSettings(enabled=True)


def test_peer_urls_parse_ipv4_names_and_bracketed_ipv6() -> None:
    assert split_host_port("pool-b.example.com:4444") == ("pool-b.example.com", 4444)
    assert split_host_port("[::1]:4445") == ("::1", 4445)
    for bad in ("nohost", "::1:4444", "h:0", "h:99999", ":4444"):
        with pytest.raises(ValueError, match=r"host|port|IPv6"):
            split_host_port(bad)


def test_peer_named_like_this_node_or_twice_is_refused() -> None:
    peers = [{"name": "a", "url": "h:1"}, {"name": "b", "url": "h:2"}, {"name": "b", "url": "h:3"}]
    with pytest.raises(ValidationError) as info:
        FederationSettings.model_validate({"node_name": "a", "peers": peers})
    text = str(info.value)
    assert "peers[0].name" in text and "peers[2].name" in text


def test_federation_port_clash_is_reported_only_when_enabled() -> None:
    clash = {"server": {"port": 4444}}
    Settings.model_validate(clash)
    with pytest.raises(ValidationError, match=r"federation\.port"):
        Settings.model_validate({**clash, "federation": {"enabled": True, "secret": SECRET}})
