"""The verdict: exit codes, the JSON report and the readable summary."""

from __future__ import annotations

import json

import pytest

from loka_stratum.client.report import ClientReport, EndReason, ExitCode, render_text
from loka_stratum.protocol import StratumError, StratumErrorCode


def report(**fields: object) -> ClientReport:
    r = ClientReport("pool.example", 3333)
    for name, value in fields.items():
        setattr(r, name, value)
    return r


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"accepted": 1, "end_reason": EndReason.DURATION}, ExitCode.PASS),
        ({"accepted": 0, "end_reason": EndReason.DURATION}, ExitCode.FAIL),
        ({"accepted": 2, "required_shares": 3, "end_reason": EndReason.DURATION}, ExitCode.FAIL),
        ({"accepted": 3, "required_shares": 3, "end_reason": EndReason.SHARES}, ExitCode.PASS),
        ({"accepted": 5, "failures": ["bad"], "end_reason": EndReason.SHARES}, ExitCode.FAIL),
        ({"accepted": 5, "end_reason": EndReason.CONNECTION_LOST}, ExitCode.CONNECTION),
        ({"end_reason": EndReason.CONNECT_FAILED}, ExitCode.CONNECTION),
        (
            {"accepted": 1, "end_reason": EndReason.PROTOCOL_FAILURE, "failures": ["x"]},
            ExitCode.FAIL,
        ),
    ],
)
def test_exit_codes(fields: dict[str, object], expected: ExitCode) -> None:
    assert report(**fields).exit_code is expected


def test_stale_and_low_difficulty_rejections_do_not_fail_a_run() -> None:
    r = report(accepted=4, end_reason=EndReason.SHARES)
    r.reject(StratumError.of(StratumErrorCode.JOB_NOT_FOUND))
    r.reject(StratumError.of(StratumErrorCode.LOW_DIFFICULTY))
    assert (r.rejected, r.unexpected_rejections) == (2, 0)
    assert r.exit_code is ExitCode.PASS


@pytest.mark.parametrize("code", [20, 22, 24, 25, 61])
def test_other_rejections_of_a_valid_share_fail_a_run(code: int) -> None:
    r = report(accepted=4, end_reason=EndReason.SHARES)
    r.reject(StratumError(code, "nope"))
    assert r.exit_code is ExitCode.FAIL


def test_json_report_carries_every_fact() -> None:
    r = report(
        accepted=2,
        submitted=3,
        extranonce1=b"\xf8\x00\x00\x01",
        extranonce2_size=4,
        version_mask=0x1FFFE000,
        difficulties=[0.0001],
        hashes=1000,
        hashing_seconds=0.5,
        end_reason=EndReason.SHARES,
    )
    r.reject(StratumError(23, "Low difficulty share"))
    data = json.loads(json.dumps(r.to_json()))
    assert data["passed"] is True and data["exit_code"] == 0
    assert data["extranonce1"] == "f8000001"
    assert data["version_mask"] == "1fffe000"
    assert data["hashrate"] == 2000.0
    assert data["shares"]["rejections"] == {"23": {"count": 1, "message": "Low difficulty share"}}
    assert data["end_reason"] == "shares"


def test_text_summary_names_what_happened() -> None:
    r = report(accepted=0, submitted=1, end_reason=EndReason.DURATION, authorized=False)
    r.reject(StratumError(20, "bad share"))
    r.fail("mining.authorize refused")
    r.messages.append("maintenance at noon")
    text = render_text(r)
    assert text.splitlines()[0] == "Stratum test client -> pool.example:3333: FAIL (exit 1)"
    assert "rejected 1 x code 20: bad share" in text
    assert "failure         mining.authorize refused" in text
    assert "pool message    maintenance at noon" in text
    assert "authorized      refused" in text


def test_text_summary_of_a_failed_connection() -> None:
    r = report(connect_error="pool.example:3333: refused", end_reason=EndReason.CONNECT_FAILED)
    text = render_text(r)
    assert "FAIL (exit 2)" in text
    assert "connection      failed: pool.example:3333: refused" in text
