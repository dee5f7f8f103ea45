"""BIP310 `mining.configure`: the request, the pool's answer, and the negotiation.

Miners send `mining.configure` first, before subscribing, to agree on protocol
extensions. The one that matters is `version-rolling` (ASICBoost): the pool offers
a mask of header version bits the miner may change; shares are then checked
against that mask. `minimum-difficulty` and `subscribe-extranonce` are answered
yes or no. Parameters of extensions we do not know are kept in `raw_params`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from loka_stratum.protocol.errors import ProtocolErrorKind
from loka_stratum.protocol.params import (
    as_difficulty,
    as_int,
    as_mask,
    as_str_tuple,
    at,
    invalid,
    param_list,
)
from loka_stratum.protocol.wire import JsonValue, brief, difficulty_number

VERSION_ROLLING = "version-rolling"
MINIMUM_DIFFICULTY = "minimum-difficulty"
SUBSCRIBE_EXTRANONCE = "subscribe-extranonce"
_RESULT = ProtocolErrorKind.INVALID_RESULT
_MASK_KEY = "version-rolling.mask"
_MIN_BIT_COUNT_KEY = "version-rolling.min-bit-count"
_MIN_DIFFICULTY_KEY = "minimum-difficulty.value"
_TYPED_KEYS = (_MASK_KEY, _MIN_BIT_COUNT_KEY, _MIN_DIFFICULTY_KEY)
_ALL_BITS = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Configure:
    """`mining.configure` (BIP310): `[extensions, {name.param: value}]`, sent before subscribe.

    The typed fields cover the extensions this pool understands; `raw_params` keeps the
    whole object as received (other extensions' parameters) and takes no part in
    equality. Encoding writes the typed fields over `raw_params`.
    """

    method: ClassVar[str] = "mining.configure"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("extensions", "extension_params")
    extensions: tuple[str, ...]
    version_rolling_mask: int | None = None
    version_rolling_min_bit_count: int | None = None
    minimum_difficulty: float | None = None
    raw_params: Mapping[str, JsonValue] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )

    @property
    def subscribe_extranonce(self) -> bool:
        """Whether the miner asks for `mining.set_extranonce` notifications."""
        return SUBSCRIBE_EXTRANONCE in self.extensions

    @classmethod
    def from_params(cls, params: JsonValue) -> Configure:
        p = param_list(params, cls.PARAM_NAMES)
        names = at(p, 0)
        extensions = () if names is None else as_str_tuple(names, "extensions")
        values = at(p, 1)
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise invalid(f"extension params must be an object, got {type(values).__name__}")
        mask, bits, difficulty = (values.get(k) for k in _TYPED_KEYS)
        return cls(
            extensions,
            None if mask is None else as_mask(mask, _MASK_KEY, ProtocolErrorKind.INVALID_PARAMS),
            None if bits is None else as_int(bits, _MIN_BIT_COUNT_KEY),
            None if difficulty is None else as_difficulty(difficulty, _MIN_DIFFICULTY_KEY),
            MappingProxyType(dict(values)),
        )

    def to_params(self) -> list[JsonValue]:
        values: dict[str, JsonValue] = dict(self.raw_params)
        if self.version_rolling_mask is not None:
            values[_MASK_KEY] = f"{self.version_rolling_mask:08x}"
        if self.version_rolling_min_bit_count is not None:
            values[_MIN_BIT_COUNT_KEY] = self.version_rolling_min_bit_count
        if self.minimum_difficulty is not None:
            values[_MIN_DIFFICULTY_KEY] = difficulty_number(self.minimum_difficulty)
        return [list(self.extensions), values]


@dataclass(frozen=True, slots=True)
class ConfigureResult:
    """The BIP310 answer, one entry per extension the miner asked for (None: not asked)."""

    version_rolling: bool | None = None
    version_rolling_mask: int | None = None
    minimum_difficulty: bool | None = None
    subscribe_extranonce: bool | None = None
    raw: Mapping[str, JsonValue] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )

    def to_json(self) -> JsonValue:
        values: dict[str, JsonValue] = dict(self.raw)
        flags = (
            (VERSION_ROLLING, self.version_rolling),
            (MINIMUM_DIFFICULTY, self.minimum_difficulty),
            (SUBSCRIBE_EXTRANONCE, self.subscribe_extranonce),
        )
        values.update((name, flag) for name, flag in flags if flag is not None)
        if self.version_rolling_mask is not None:
            values[_MASK_KEY] = f"{self.version_rolling_mask:08x}"
        return values

    @classmethod
    def from_json(cls, value: JsonValue) -> ConfigureResult:
        if not isinstance(value, dict):
            raise invalid(f"configure result must be an object, got {brief(value)}", _RESULT)
        mask = value.get(_MASK_KEY)

        def flag(name: str) -> bool | None:  # BIP310 allows an error string for "no"
            return None if name not in value else value[name] is True

        return cls(
            flag(VERSION_ROLLING),
            None if mask is None else as_mask(mask, _MASK_KEY, _RESULT),
            flag(MINIMUM_DIFFICULTY),
            flag(SUBSCRIBE_EXTRANONCE),
            MappingProxyType(dict(value)),
        )


def negotiate_configure(
    request: Configure,
    *,
    pool_mask: int | None,
    minimum_difficulty: bool = False,
    subscribe_extranonce: bool = False,
) -> ConfigureResult:
    """The pool's BIP310 answer: the version mask is the pool's mask and the miner's.

    A miner that gives no mask may roll any bit the pool allows. If fewer bits remain
    than the miner's `min-bit-count`, version rolling is refused rather than offered
    in a form the miner's hardware cannot use. `pool_mask=None` refuses it outright.
    """
    asked = request.extensions
    rolling: bool | None = None
    mask: int | None = None
    if VERSION_ROLLING in asked and pool_mask is not None:
        miner_mask = request.version_rolling_mask
        mask = pool_mask & (_ALL_BITS if miner_mask is None else miner_mask)
        rolling = mask.bit_count() >= (request.version_rolling_min_bit_count or 0)
        mask = mask if rolling else None
    elif VERSION_ROLLING in asked:
        rolling = False
    return ConfigureResult(
        rolling,
        mask,
        minimum_difficulty if MINIMUM_DIFFICULTY in asked else None,
        subscribe_extranonce if SUBSCRIBE_EXTRANONCE in asked else None,
    )
