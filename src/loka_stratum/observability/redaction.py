"""Keep secrets out of logs, whoever logs them.

Three nets, applied to the message and every field (nested too) of every record,
ours and third-party alike, just before rendering:

1. keys that name a secret (`password`, `rpc_password`, `admin_token`, `Authorization`,
   `cookie`, ...) have their value replaced by `MASK`;
2. URLs with userinfo (`postgresql://user:pw@host`, `stratum+tcp://w:x@pool`) keep
   the user and lose the password, wherever they appear inside a string;
3. values registered with `SecretRegistry.register` (passwords and tokens from the
   config) are masked wherever they appear, in any key's value or the message.

Values that are not plain JSON data are turned into strings first, so an
object whose `str()` carries a secret cannot slip past the nets at render time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Final

from structlog.typing import EventDict, WrappedLogger

MASK: Final = "********"
MIN_SECRET_LENGTH: Final = 4
"""Shorter registered values are ignored: masking every "abc" would wreck the logs.
Keys and URLs still mask a short password; a real one is longer anyway."""

_SECRET_KEY = re.compile(
    r"(?:^|[_\-.])(?:password|passwd|pass|pwd|token|secret|authorization|cookie|"
    r"api[_-]?key|private[_-]?key|credentials?)(?:$|[_\-.])",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)[^\s/?#]*@")
_META_KEYS: Final = frozenset({"_record", "_from_structlog"})
_PLAIN = (int, float, bool, type(None))


def is_secret_key(key: str) -> bool:
    """Whether a field name says its value is a secret (by whole word: `rpc_password`)."""
    return _SECRET_KEY.search(key) is not None


def mask_url_passwords(text: str) -> str:
    """`scheme://user:pw@host` -> `scheme://user:********@host`, anywhere in `text`."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)


class SecretRegistry:
    """Known secret values to mask wherever they appear; filled from the config at startup."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in values:
            self.register(value)

    def register(self, value: str) -> None:
        if len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            self._values.add(value)
            longest_first = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, longest_first)))

    def mask(self, text: str) -> str:
        pattern = self._pattern
        return text if pattern is None else pattern.sub(MASK, text)


class Redactor:
    """structlog processor applying the three nets; runs last before a renderer."""

    def __init__(self, secrets: SecretRegistry) -> None:
        self._secrets = secrets

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        for key, value in event_dict.items():
            if key not in _META_KEYS:
                event_dict[key] = self._value(key, value)
        return event_dict

    def _value(self, key: str, value: Any) -> Any:
        if is_secret_key(key) and value not in (None, ""):
            return MASK
        if isinstance(value, str):
            return self._secrets.mask(mask_url_passwords(value))
        if isinstance(value, _PLAIN):
            return value
        if isinstance(value, Mapping):
            return {str(k): self._value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._value(key, item) for item in value]
        return self._value(key, str(value))
