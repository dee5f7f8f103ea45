"""A miner sets its own payout threshold: from its mining IP, or the admin with the token."""

from __future__ import annotations

from loka_stratum.storage.ledger import LedgerRepository
from tests.api.public.conftest import ADDRESS, OTHER, TOKEN, LivePool
from tests.server.harness import Miner

DEFAULT, MINIMUM = 1_000_000, 100_000  # the [accounting] defaults


async def test_only_the_miners_ip_or_the_admin_may_set_the_threshold(live: LivePool) -> None:
    url = f"/api/v1/miners/{ADDRESS}/settings"
    before = await live.client.get(url)
    assert before.json() == {
        "payout_threshold": DEFAULT,
        "own": None,
        "default": DEFAULT,
        "minimum": MINIMUM,
    }
    refused = await live.client.put(url, json={"payout_threshold": 500_000})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"

    miner = await Miner.connect(live.stratum_port)  # 127.0.0.1, like the API client
    try:
        await miner.handshake(f"{ADDRESS}.rig")
        too_low = await live.client.put(url, json={"payout_threshold": MINIMUM - 1})
        assert too_low.status_code == 422
        ok = await live.client.put(url, json={"payout_threshold": 500_000})
        assert ok.status_code == 200, ok.text
        assert ok.json()["payout_threshold"] == 500_000 and ok.json()["own"] == 500_000
        other = await live.client.put(
            f"/api/v1/miners/{OTHER}/settings", json={"payout_threshold": 500_000}
        )
        assert other.status_code == 403  # mining for one address gives no say over another
    finally:
        await miner.close()

    ledger = LedgerRepository(live.app.database.engine)
    assert await ledger.payout_threshold(ADDRESS) == 500_000
    admin = {"Authorization": f"Bearer {TOKEN}"}
    reset = await live.client.put(url, json={"payout_threshold": None}, headers=admin)
    assert reset.status_code == 200 and reset.json()["payout_threshold"] == DEFAULT
    assert await ledger.payout_threshold(ADDRESS) is None
    wrong = await live.client.put(
        url, json={"payout_threshold": 200_000}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403
