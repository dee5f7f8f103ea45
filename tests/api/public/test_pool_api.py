"""The public API of a real pool: every figure comes from shares a real miner submitted."""

from __future__ import annotations

import pytest

from loka_stratum.mining.hashrate import HASHES_PER_DIFFICULTY
from tests.api.public.conftest import (
    ADDRESS,
    NETWORK_DIFFICULTY,
    OTHER,
    SHARE_DIFFICULTY,
    LivePool,
    mine_shares,
)
from tests.server.harness import Miner, find_share, submit_params

ONE_SHARE = SHARE_DIFFICULTY * HASHES_PER_DIFFICULTY
"""Hashes one accepted share stands for."""


async def test_hashrates_and_counts_come_from_submitted_difficulty(live: LivePool) -> None:
    first, second = await Miner.connect(live.stratum_port), await Miner.connect(live.stratum_port)
    notify_a = await first.handshake(f"{ADDRESS}.rig1")
    notify_b = await second.handshake(f"{OTHER}.rig2")
    await mine_shares(first, notify_a, f"{ADDRESS}.rig1", 4, first=0)
    await mine_shares(second, notify_b, f"{OTHER}.rig2", 2, first=0)
    await live.flushed()

    stats = (await live.client.get("/api/v1/stats")).json()
    assert stats["hashrate"]["1m"] == pytest.approx(6 * ONE_SHARE / 60)
    assert stats["hashrate"]["5m"] == pytest.approx(6 * ONE_SHARE / 300)
    assert stats["hashrate"]["1h"] == pytest.approx(6 * ONE_SHARE / 3600)
    assert stats["hashrate"]["24h"] == pytest.approx(
        6 * ONE_SHARE / stats["hashrate_24h_window_seconds"]
    )
    assert (stats["miners"], stats["workers"], stats["connections"]) == (2, 2, 2)
    assert stats["shares"] == {"accepted": 6, "rejected": 0}
    assert stats["shares_24h"] == {"accepted": 6, "rejected": 0}
    template = live.app.context.jobs.template
    assert template is not None
    assert stats["network"]["height"] == template.height
    assert stats["network"]["difficulty"] == pytest.approx(NETWORK_DIFFICULTY, rel=1e-3)
    assert stats["blocks"]["found"] == live.app.sink.blocks

    top = (await live.client.get("/api/v1/miners/top", params={"limit": 10})).json()
    window = top["window_seconds"]
    assert [(m["address"], m["shares"], m["workers"]) for m in top["data"]] == [
        (ADDRESS, 4, 1),
        (OTHER, 2, 1),
    ]
    assert top["data"][0]["hashrate"] == pytest.approx(4 * ONE_SHARE / window)
    assert 3540 <= window <= 3600
    one = (await live.client.get("/api/v1/miners/top?limit=1")).json()
    assert [m["address"] for m in one["data"]] == [ADDRESS]

    algorithms = (await live.client.get("/api/v1/algorithms")).json()
    (sha,) = algorithms["data"]
    assert sha["name"] == "sha256d" and sha["hashrate"] == pytest.approx(6 * ONE_SHARE / 300)
    assert sha["ports"][0]["port"] == live.stratum_port and sha["workers"] == 2

    miner = (await live.client.get(f"/api/v1/miners/{ADDRESS}")).json()
    assert 4 * ONE_SHARE / 600 <= miner["hashrate"]["10m"] <= 4 * ONE_SHARE / 540
    assert miner["shares_24h"] == {"accepted": 4, "rejected": 0}
    (rig,) = miner["workers"]
    assert rig["name"] == "rig1" and rig["online"] is True
    assert rig["difficulty"] == pytest.approx(SHARE_DIFFICULTY) and rig["accepted"] == 4
    assert len(miner["recent_shares"]) == 4
    assert {share["difficulty"] for share in miner["recent_shares"]} == {SHARE_DIFFICULTY}
    assert all(s["share_difficulty"] >= SHARE_DIFFICULTY for s in miner["recent_shares"])
    assert miner["funds"] == {"balance": 0, "immature": 0, "paid": 0}
    assert miner["payments"] == []

    workers = (await live.client.get("/api/v1/workers")).json()
    assert workers["total"] == 2
    assert {(w["account"], w["worker"]) for w in workers["data"]} == {
        (ADDRESS, "rig1"),
        (OTHER, "rig2"),
    }
    by_worker = {w["worker"]: w["hashrate"] for w in workers["data"]}
    assert by_worker["rig1"] == pytest.approx(2 * by_worker["rig2"])
    await first.close()
    await second.close()


async def test_a_found_block_is_listed_with_its_status(live: LivePool) -> None:
    miner = await Miner.connect(live.stratum_port)
    notify = await miner.handshake(f"{ADDRESS}.blocky")
    template = live.app.context.jobs.template
    assert template is not None
    en2 = (7).to_bytes(4, "big")
    nonce = find_share(notify, miner.extranonce1, NETWORK_DIFFICULTY, extranonce2=en2)
    params = submit_params(notify, f"{ADDRESS}.blocky", nonce, extranonce2=en2)
    assert (await miner.call(9, "mining.submit", params))["result"] is True
    await live.app.blocks.drain()

    page = (await live.client.get("/api/v1/blocks", params={"limit": 5})).json()
    assert page["total"] == len(live.app.blocks.found) >= 1
    ours = [b for b in page["data"] if b["worker"] == "blocky"]
    assert len(ours) == 1
    block = ours[0]
    assert block["finder"] == ADDRESS and block["status"] == "pending"
    assert block["height"] == template.height
    assert block["hash"] == live.app.blocks.found[-1].block_hash[::-1].hex()
    pending = (await live.client.get("/api/v1/blocks?status=pending")).json()
    assert pending["total"] == page["total"]
    assert (await live.client.get("/api/v1/blocks?status=confirmed")).json()["total"] == 0
    stats = (await live.client.get("/api/v1/stats")).json()
    assert stats["blocks"]["found"] == stats["blocks"]["pending"] == page["total"]
    assert stats["last_block"]["hash"] == page["data"][0]["hash"]
    await miner.close()


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        (f"/api/v1/miners/{OTHER}", 404, "not_found"),
        ("/api/v1/miners/top?limit=0", 422, "invalid_request"),
        ("/api/v1/miners/top?limit=101", 422, "invalid_request"),
        ("/api/v1/miners/top?limit=ten", 422, "invalid_request"),
        ("/api/v1/blocks?offset=-1", 422, "invalid_request"),
        ("/api/v1/blocks?status=lost", 422, "invalid_request"),
        ("/api/v1/nothing-here", 404, "not_found"),
    ],
)
async def test_client_mistakes_are_json_4xx(
    live: LivePool, path: str, status: int, kind: str
) -> None:
    response = await live.client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == kind and response.json()["detail"]


async def test_wrong_method_is_json_405(live: LivePool) -> None:
    response = await live.client.post("/api/v1/stats", content=b"{}")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
