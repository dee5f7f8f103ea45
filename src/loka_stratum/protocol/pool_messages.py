"""Messages a pool sends to a miner, one frozen dataclass per method.

All but `GetVersion` are notifications (id null). `mining.notify` keeps its hex
strings as on the wire: a pool encodes a job once and writes the same bytes to
every session, and a proxy forwards an upstream job without re-encoding it.
Values that sessions act on (extranonce1, version mask) are bytes and ints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, TypeAlias

from loka_stratum.protocol.errors import ProtocolErrorKind
from loka_stratum.protocol.miner_messages import UnknownRequest
from loka_stratum.protocol.params import (
    as_bool,
    as_difficulty,
    as_hex_bytes,
    as_int,
    as_mask,
    as_optional_int,
    as_optional_str,
    as_port,
    as_str,
    as_str_tuple,
    at,
    invalid,
    param_list,
    trim_nulls,
)
from loka_stratum.protocol.wire import JsonValue, difficulty_number

_PARAMS = ProtocolErrorKind.INVALID_PARAMS
_MAX_EXTRANONCE2_SIZE = 32


@dataclass(frozen=True, slots=True)
class Notify:
    """`mining.notify`: a job. A missing ninth param (clean_jobs) reads as False."""

    method: ClassVar[str] = "mining.notify"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = (
        "job_id",
        "prevhash",
        "coinb1",
        "coinb2",
        "merkle_branch",
        "version",
        "nbits",
        "ntime",
        "clean_jobs",
    )
    job_id: str
    prevhash: str
    coinb1: str
    coinb2: str
    merkle_branch: tuple[str, ...]
    version: str
    nbits: str
    ntime: str
    clean_jobs: bool

    @classmethod
    def from_params(cls, params: JsonValue) -> Notify:
        p = param_list(params, cls.PARAM_NAMES)
        if len(p) < 8:
            raise invalid(f"mining.notify needs 9 params, got {len(p)}")
        s = [as_str(p[i], cls.PARAM_NAMES[i]) for i in (0, 1, 2, 3, 5, 6, 7)]
        branch = as_str_tuple(p[4], "merkle_branch")
        clean_jobs = False if len(p) < 9 else as_bool(p[8], "clean_jobs")
        return cls(s[0], s[1], s[2], s[3], branch, s[4], s[5], s[6], clean_jobs)

    def to_params(self) -> list[JsonValue]:
        return [
            self.job_id,
            self.prevhash,
            self.coinb1,
            self.coinb2,
            list(self.merkle_branch),
            self.version,
            self.nbits,
            self.ntime,
            self.clean_jobs,
        ]


@dataclass(frozen=True, slots=True)
class SetDifficulty:
    """`mining.set_difficulty`: integral values go out as integers, fractions as decimals."""

    method: ClassVar[str] = "mining.set_difficulty"
    difficulty: float

    @classmethod
    def from_params(cls, params: JsonValue) -> SetDifficulty:
        return cls(as_difficulty(at(param_list(params, ("difficulty",)), 0), "difficulty"))

    def to_params(self) -> list[JsonValue]:
        return [difficulty_number(self.difficulty)]


@dataclass(frozen=True, slots=True)
class SetVersionMask:
    """`mining.set_version_mask` (BIP310): a new mask, 8 hex digits on the wire."""

    method: ClassVar[str] = "mining.set_version_mask"
    mask: int

    @classmethod
    def from_params(cls, params: JsonValue) -> SetVersionMask:
        return cls(as_mask(at(param_list(params, ("mask",)), 0), "mask", _PARAMS))

    def to_params(self) -> list[JsonValue]:
        return [f"{self.mask:08x}"]


@dataclass(frozen=True, slots=True)
class SetExtranonce:
    """`mining.set_extranonce`: a new extranonce1 and extranonce2 size for the next jobs."""

    method: ClassVar[str] = "mining.set_extranonce"
    extranonce1: bytes
    extranonce2_size: int

    @classmethod
    def from_params(cls, params: JsonValue) -> SetExtranonce:
        p = param_list(params, ("extranonce1", "extranonce2_size"))
        size = as_int(at(p, 1), "extranonce2_size")
        if not 0 <= size <= _MAX_EXTRANONCE2_SIZE:
            raise invalid(f"extranonce2_size out of range: {size}")
        return cls(as_hex_bytes(at(p, 0), "extranonce1", _PARAMS), size)

    def to_params(self) -> list[JsonValue]:
        return [self.extranonce1.hex(), self.extranonce2_size]


@dataclass(frozen=True, slots=True)
class Reconnect:
    """`client.reconnect`: `[]` (same server), `[host, port]` or `[host, port, wait_seconds]`."""

    method: ClassVar[str] = "client.reconnect"
    host: str | None = None
    port: int | None = None
    wait_seconds: int | None = None

    @classmethod
    def from_params(cls, params: JsonValue) -> Reconnect:
        p = param_list(params, ("host", "port", "wait_seconds"))
        return cls(
            as_optional_str(at(p, 0), "host"),
            as_port(at(p, 1), "port"),
            as_optional_int(at(p, 2), "wait_seconds"),
        )

    def to_params(self) -> list[JsonValue]:
        return trim_nulls([self.host, self.port, self.wait_seconds])


@dataclass(frozen=True, slots=True)
class ShowMessage:
    """`client.show_message`: text for the miner's operator."""

    method: ClassVar[str] = "client.show_message"
    text: str

    @classmethod
    def from_params(cls, params: JsonValue) -> ShowMessage:
        return cls(as_str(at(param_list(params, ("text",)), 0), "text"))

    def to_params(self) -> list[JsonValue]:
        return [self.text]


@dataclass(frozen=True, slots=True)
class GetVersion:
    """`client.get_version`: a request (with an id) the miner answers with its version."""

    method: ClassVar[str] = "client.get_version"

    @classmethod
    def from_params(cls, params: JsonValue) -> GetVersion:
        return cls()

    def to_params(self) -> list[JsonValue]:
        return []


PoolMessage: TypeAlias = (
    Notify
    | SetDifficulty
    | SetVersionMask
    | SetExtranonce
    | Reconnect
    | ShowMessage
    | GetVersion
    | UnknownRequest
)
"""Everything a miner can receive from a pool."""

POOL_METHODS: Mapping[str, Callable[[JsonValue], PoolMessage]] = MappingProxyType(
    {
        Notify.method: Notify.from_params,
        SetDifficulty.method: SetDifficulty.from_params,
        SetVersionMask.method: SetVersionMask.from_params,
        SetExtranonce.method: SetExtranonce.from_params,
        Reconnect.method: Reconnect.from_params,
        ShowMessage.method: ShowMessage.from_params,
        GetVersion.method: GetVersion.from_params,
    }
)
"""Method name -> params parser: the client's dispatch table."""
