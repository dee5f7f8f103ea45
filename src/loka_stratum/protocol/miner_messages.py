"""Requests a miner sends to a pool, one frozen dataclass per method.

Each class reads its params with `from_params` (raising `RemoteProtocolError` on
unusable params) and writes them with `to_params`. Hex fields stay strings here:
the share validator decodes and length-checks them against the sizes negotiated
for the session, in the order it reports rejections. Wrong JSON *types* are
rejected here, so the validator only ever sees strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, TypeAlias

from loka_stratum.protocol.configure import Configure
from loka_stratum.protocol.params import (
    as_difficulty,
    as_optional_str,
    as_port,
    as_str,
    at,
    invalid,
    param_list,
    trim_nulls,
)
from loka_stratum.protocol.wire import JsonValue, difficulty_number


@dataclass(frozen=True, slots=True)
class Subscribe:
    """`mining.subscribe`: params `[]`, `[agent]`, `[agent, session_id]` or with host, port."""

    method: ClassVar[str] = "mining.subscribe"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("user_agent", "session_id", "host", "port")
    user_agent: str | None = None
    session_id: str | None = None
    host: str | None = None
    port: int | None = None

    @classmethod
    def from_params(cls, params: JsonValue) -> Subscribe:
        p = param_list(params, cls.PARAM_NAMES)
        return cls(
            as_optional_str(at(p, 0), "user agent"),
            as_optional_str(at(p, 1), "session id"),
            as_optional_str(at(p, 2), "host"),
            as_port(at(p, 3), "port"),
        )

    def to_params(self) -> list[JsonValue]:
        return trim_nulls([self.user_agent, self.session_id, self.host, self.port])


@dataclass(frozen=True, slots=True)
class Authorize:
    """`mining.authorize`: `[username, password]`; the password is optional and often "x"."""

    method: ClassVar[str] = "mining.authorize"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("username", "password")
    username: str
    password: str | None = None

    @classmethod
    def from_params(cls, params: JsonValue) -> Authorize:
        p = param_list(params, cls.PARAM_NAMES)
        password = at(p, 1)
        if type(password) is int or type(password) is float:
            password = str(password)  # miners configured with a numeric password
        return cls(as_str(at(p, 0), "username"), as_optional_str(password, "password"))

    def to_params(self) -> list[JsonValue]:
        return trim_nulls([self.username, self.password])


@dataclass(frozen=True, slots=True)
class Submit:
    """`mining.submit`: 5 params, or 6 with BIP310 version bits. The per-share hot path."""

    method: ClassVar[str] = "mining.submit"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = (
        "worker",
        "job_id",
        "extranonce2",
        "ntime",
        "nonce",
        "version_bits",
    )
    worker: str
    job_id: str
    extranonce2: str
    ntime: str
    nonce: str
    version_bits: str | None = None

    @classmethod
    def from_params(cls, params: JsonValue) -> Submit:
        p = params if type(params) is list else param_list(params, cls.PARAM_NAMES)
        if len(p) < 5:
            raise invalid(f"mining.submit needs 5 or 6 params, got {len(p)}")
        worker, job_id, extranonce2, ntime, nonce = p[0], p[1], p[2], p[3], p[4]
        version_bits = p[5] if len(p) > 5 else None
        if (
            type(worker) is str
            and type(job_id) is str
            and type(extranonce2) is str
            and type(ntime) is str
            and type(nonce) is str
            and (version_bits is None or type(version_bits) is str)
        ):
            return cls(worker, job_id, extranonce2, ntime, nonce, version_bits)
        bad = next(
            name
            for name, value in zip(cls.PARAM_NAMES, p, strict=False)
            if type(value) is not str and (value is not None or name != "version_bits")
        )
        raise invalid(f"{bad} must be a string")

    def to_params(self) -> list[JsonValue]:
        params: list[JsonValue] = [
            self.worker,
            self.job_id,
            self.extranonce2,
            self.ntime,
            self.nonce,
        ]
        if self.version_bits is not None:
            params.append(self.version_bits)
        return params


@dataclass(frozen=True, slots=True)
class SuggestDifficulty:
    """`mining.suggest_difficulty`: the miner's wish; `"1024"` as a string is accepted."""

    method: ClassVar[str] = "mining.suggest_difficulty"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("difficulty",)
    difficulty: float

    @classmethod
    def from_params(cls, params: JsonValue) -> SuggestDifficulty:
        p = param_list(params, cls.PARAM_NAMES)
        return cls(as_difficulty(at(p, 0), "difficulty"))

    def to_params(self) -> list[JsonValue]:
        return [difficulty_number(self.difficulty)]


@dataclass(frozen=True, slots=True)
class ExtranonceSubscribe:
    """`mining.extranonce.subscribe` (NiceHash): the miner accepts `mining.set_extranonce`."""

    method: ClassVar[str] = "mining.extranonce.subscribe"

    @classmethod
    def from_params(cls, params: JsonValue) -> ExtranonceSubscribe:
        return cls()

    def to_params(self) -> list[JsonValue]:
        return []


@dataclass(frozen=True, slots=True)
class GetTransactions:
    """`mining.get_transactions`: the miner asks for a job's transactions (rarely served)."""

    method: ClassVar[str] = "mining.get_transactions"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("job_id",)
    job_id: str | None = None

    @classmethod
    def from_params(cls, params: JsonValue) -> GetTransactions:
        return cls(as_optional_str(at(param_list(params, cls.PARAM_NAMES), 0), "job id"))

    def to_params(self) -> list[JsonValue]:
        return [] if self.job_id is None else [self.job_id]


@dataclass(frozen=True, slots=True)
class UnknownRequest:
    """A method this side does not know (e.g. `mining.multi_version`); params as received."""

    method: str
    params: JsonValue = None

    def to_params(self) -> JsonValue:
        return self.params


MinerRequest: TypeAlias = (
    Subscribe
    | Authorize
    | Submit
    | Configure
    | SuggestDifficulty
    | ExtranonceSubscribe
    | GetTransactions
    | UnknownRequest
)
"""Everything a pool can receive from a miner."""

MINER_METHODS: Mapping[str, Callable[[JsonValue], MinerRequest]] = MappingProxyType(
    {
        Subscribe.method: Subscribe.from_params,
        Authorize.method: Authorize.from_params,
        Submit.method: Submit.from_params,
        Configure.method: Configure.from_params,
        SuggestDifficulty.method: SuggestDifficulty.from_params,
        ExtranonceSubscribe.method: ExtranonceSubscribe.from_params,
        GetTransactions.method: GetTransactions.from_params,
    }
)
"""Method name -> params parser: the server's dispatch table."""
