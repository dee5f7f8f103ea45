"""The on-disk journal: durable, ordered across reopen, tolerant of damage."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from loka_stratum.storage import ShareBatch, ShareRecord, Verdict, VerdictRecord
from loka_stratum.storage.journal import Journal, decode, encode

from .factories import batch, mixed_shares, share
from .verdict_factories import mixed_verdicts


def files_in(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


records = st.builds(
    ShareRecord,
    share_id=st.integers(0, 2**63 - 1),
    account=st.text(max_size=20),
    worker=st.text(max_size=20),
    job_id=st.text(max_size=8),
    difficulty=st.floats(min_value=0, allow_infinity=False, allow_nan=False),
    share_difficulty=st.floats(min_value=0, allow_infinity=False, allow_nan=False),
    created_at=st.floats(0, 2**33, allow_nan=False),
    accepted=st.just(True),
    reject_reason=st.none(),
    is_block=st.booleans(),
    block_height=st.none() | st.integers(0, 10**7),
) | st.builds(
    lambda i, reason: share(i, accepted=False, reason=reason), st.integers(0, 9), st.text()
)


verdicts = st.builds(
    VerdictRecord,
    upstream=st.text(max_size=20),
    account=st.text(max_size=20),
    worker=st.text(max_size=20),
    created_at=st.floats(0, 2**33, allow_nan=False),
    verdict=st.sampled_from(Verdict),
    difficulty=st.floats(min_value=0, allow_infinity=False, allow_nan=False),
)


@settings(deadline=None)  # correctness, not speed: no flakes on a loaded machine
@given(
    st.text(min_size=1, max_size=64),
    st.lists(records, max_size=20),
    st.lists(verdicts, max_size=20),
)
def test_encode_decode_round_trip(
    batch_id: str, shares: list[ShareRecord], verdicts: list[VerdictRecord]
) -> None:
    original = ShareBatch(batch_id, tuple(shares), tuple(verdicts))
    decoded = decode(encode(original))
    assert decoded == original
    assert all(type(v.verdict) is Verdict for v in decoded.verdicts)


# A journal file exactly as the build before verdicts wrote it.
FORMAT_1_FILE = (
    b'{"format":1,"batch_id":"b1","shares":['
    b'[1,"bc1qminer","rig1","job1",8.0,12.0,1700000000.0,true,null,false,null],'
    b'[2,"bc1qminer","rig1","job2",8.0,12.0,1700000000.0,false,"duplicate",false,null]]}'
)


def test_a_batch_without_verdicts_keeps_format_1_byte_for_byte() -> None:
    shares = batch("b1", [share(1), share(2, accepted=False, reason="duplicate")])
    assert decode(FORMAT_1_FILE) == shares
    assert encode(shares) == FORMAT_1_FILE


def test_a_batch_with_verdicts_is_format_2() -> None:
    original = ShareBatch("b2", (share(1),), tuple(mixed_verdicts(0, 5)))
    assert encode(original).startswith(b'{"format":2,')
    assert decode(encode(original)) == original
    only_verdicts = ShareBatch("b3", (), tuple(mixed_verdicts(0, 3)))
    assert decode(encode(only_verdicts)) == only_verdicts


@pytest.mark.parametrize(
    "data",
    [
        b"{}",
        b"[]",
        b'{"format": 2}',
        b'{"format": 1, "shares": []}',
        b"\xff",
        b'{"format": 1, "batch_id": "b", "shares": [[1]]}',
        b'{"format": true, "batch_id": "b", "shares": []}',
        b'{"format": 3, "batch_id": "b", "shares": []}',
        b'{"format": 2, "batch_id": "b", "shares": []}',
        b'{"format": 1, "batch_id": "b", "shares": [], "verdicts": []}',
        b'{"format": 2, "batch_id": "b", "shares": [], "verdicts": [["m", "a", "w", 1.0]]}',
        b'{"format":2,"batch_id":"b","shares":[],"verdicts":[["m","a","w",1.0,"meh",1]]}',
        b'{"format":2,"batch_id":"b","shares":[],"verdicts":[["m","a","w",1,"stale",-1]]}',
    ],
)
def test_decode_rejects_foreign_files(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"not JSON|format 1|malformed|Verdict|non-negative"):
        decode(data)


async def test_batches_come_back_in_order_after_reopen(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    await journal.open()
    batches = [batch(f"b{i}", mixed_shares(i * 10, 3)) for i in range(3)]
    for b in batches[:2]:
        await journal.append(b)
    reopened = Journal(tmp_path / "journal")
    await reopened.open()
    await reopened.append(batches[2])
    replayed = []
    while (oldest := await reopened.oldest()) is not None:
        replayed.append(oldest)
        await reopened.remove_oldest()
    assert replayed == batches
    assert files_in(tmp_path / "journal") == []


async def test_stray_temporaries_are_dropped_on_open(tmp_path: Path) -> None:
    (tmp_path / "0000000000000001.batch.json.tmp").write_bytes(b'{"format": 1, "batch')
    journal = Journal(tmp_path)
    await journal.open()
    assert journal.depth == 0
    assert files_in(tmp_path) == []


async def test_unreadable_file_is_quarantined_not_replayed(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    await journal.open()
    await journal.append(batch("b1", [share(1)]))
    await journal.append(batch("b2", [share(2)]))
    first = files_in(tmp_path)[0]
    first.write_bytes(b"garbage")
    with capture_logs() as logs:
        oldest = await journal.oldest()
    assert oldest is not None
    assert oldest.batch_id == "b2"
    assert journal.depth == 1
    assert first.with_suffix(".corrupt").read_bytes() == b"garbage"
    assert [entry["event"] for entry in logs] == ["share journal file quarantined"]
