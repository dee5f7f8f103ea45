"""Building the work source the settings ask for."""

from __future__ import annotations

from loka_stratum.config import Settings
from loka_stratum.observability.metrics import Metrics
from loka_stratum.sources.base import WorkSource
from loka_stratum.sources.bitcoind import BitcoindSource
from loka_stratum.sources.embedded import EmbeddedSource
from loka_stratum.sources.embedded_chain import DEFAULT_TEST_MINER_HASHRATE, difficulty_for_interval
from loka_stratum.sources.rpc import CookieFile, RpcAuth, UserPassword


def rpc_auth(settings: Settings) -> RpcAuth:
    node = settings.bitcoind
    if node.rpc_cookie_file is not None:
        return CookieFile(node.rpc_cookie_file)
    password = node.rpc_password.get_secret_value() if node.rpc_password else ""
    return UserPassword(node.rpc_user or "", password)


def embedded_difficulty(settings: Settings) -> float:
    """The embedded chain's network difficulty: configured, or one block per interval."""
    embedded = settings.embedded
    if embedded.network_difficulty is not None:
        return embedded.network_difficulty
    return difficulty_for_interval(DEFAULT_TEST_MINER_HASHRATE, embedded.block_interval)


def build_source(settings: Settings, metrics: Metrics) -> WorkSource:
    node = settings.bitcoind
    if node.source == "bitcoind":
        return BitcoindSource(
            rpc_url=node.effective_rpc_url,
            rpc_auth=rpc_auth(settings),
            network=node.network,
            zmq_hashblock=node.zmq_hashblock,
            poll_interval=node.poll_interval,
            template_refresh=node.template_refresh,
            rpc_timeout=node.rpc_timeout,
            rpc_latency_observer=lambda method, seconds: metrics.rpc_call(method, seconds, ok=True),
        )
    embedded = settings.embedded
    return EmbeddedSource(
        network_difficulty=embedded_difficulty(settings),
        filler_transactions=embedded.filler_transactions,
        template_refresh=settings.stratum.job_refresh_interval,
        chain_file=embedded.chain_file,
    )
