"""BitcoindRpc against a real loopback HTTP server that answers like bitcoind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import pytest

from loka_stratum.sources.rpc import (
    BitcoindRpc,
    CookieFile,
    RpcAuthError,
    RpcClosedError,
    RpcError,
    RpcUnavailable,
    RpcWarmingUp,
    UserPassword,
)
from tests.fakes.bitcoind_http import FakeRpcError, JsonRpcHttpServer

SECRET = "s3cret-pa55"


class Node:
    """A handler with one account, scriptable faults, and a record of calls."""

    def __init__(self) -> None:
        self.password = SECRET
        self.calls: list[tuple[str, list[Any]]] = []
        self.fault: FakeRpcError | None = None
        self.server = JsonRpcHttpServer(self.handle, self.authorize)

    def authorize(self, user: str, password: str) -> bool:
        return user in ("alice", "__cookie__") and password == self.password

    async def handle(self, method: str, params: list[Any]) -> Any:
        self.calls.append((method, params))
        if self.fault is not None:
            raise self.fault
        if method == "echo":
            return params
        raise FakeRpcError(-32601, "Method not found")


@pytest.fixture
async def rpc_node() -> AsyncIterator[Node]:
    fake = Node()
    await fake.server.start()
    yield fake
    await fake.server.stop()


@pytest.fixture
async def rpc(rpc_node: Node) -> AsyncIterator[BitcoindRpc]:
    client = BitcoindRpc(rpc_node.server.url, UserPassword("alice", SECRET), timeout=2.0)
    yield client
    await client.aclose()


@pytest.mark.parametrize("version", ["1.0", "2.0"])
async def test_call_returns_result_in_both_protocol_versions(
    rpc_node: Node, version: Literal["1.0", "2.0"]
) -> None:
    client = BitcoindRpc(rpc_node.server.url, UserPassword("alice", SECRET), jsonrpc=version)
    try:
        assert await client.call("echo", 1, "two", {"three": [3]}) == [1, "two", {"three": [3]}]
        with pytest.raises(RpcError) as caught:
            await client.call("nosuchmethod")
    finally:
        await client.aclose()
    assert (caught.value.code, caught.value.message) == (-32601, "Method not found")
    assert rpc_node.calls[0] == ("echo", [1, "two", {"three": [3]}])


@pytest.mark.parametrize("version", ["1.0", "2.0"])
async def test_node_errors_are_rpc_errors_and_warmup_is_unavailable(
    rpc_node: Node, version: Literal["1.0", "2.0"]
) -> None:
    client = BitcoindRpc(rpc_node.server.url, UserPassword("alice", SECRET), jsonrpc=version)
    try:
        rpc_node.fault = FakeRpcError(
            -8, "getblocktemplate must be called with the segwit rule set"
        )
        with pytest.raises(RpcError) as caught:
            await client.call("echo")
        assert caught.value.code == -8
        rpc_node.fault = FakeRpcError(-28, "Loading block index...")
        with pytest.raises(RpcWarmingUp, match="Loading block index"):
            await client.call("echo")
    finally:
        await client.aclose()


async def test_wrong_password_is_an_auth_error_that_does_not_leak(rpc_node: Node) -> None:
    client = BitcoindRpc(rpc_node.server.url, UserPassword("alice", "wrong-horse"))
    try:
        with pytest.raises(RpcAuthError) as caught:
            await client.call("echo")
    finally:
        await client.aclose()
    assert isinstance(caught.value, RpcUnavailable)
    assert "wrong-horse" not in str(caught.value)
    assert "wrong-horse" not in repr(UserPassword("alice", "wrong-horse"))


async def test_cookie_auth_rereads_the_cookie_after_the_node_rotates_it(
    rpc_node: Node, tmp_path: Path
) -> None:
    cookie = tmp_path / ".cookie"
    cookie.write_text(f"__cookie__:{SECRET}")
    client = BitcoindRpc(rpc_node.server.url, CookieFile(cookie))
    try:
        assert await client.call("echo", 1) == [1]
        rpc_node.password = "rotated-at-restart"
        cookie.write_text("__cookie__:rotated-at-restart")
        assert await client.call("echo", 2) == [2]
        assert rpc_node.server.unauthorized == 1
        rpc_node.password = "rotated-again"
        with pytest.raises(RpcAuthError):
            await client.call("echo", 3)
    finally:
        await client.aclose()


async def test_missing_or_malformed_cookie_is_unavailable(rpc_node: Node, tmp_path: Path) -> None:
    cookie = tmp_path / ".cookie"
    client = BitcoindRpc(rpc_node.server.url, CookieFile(cookie))
    try:
        with pytest.raises(RpcUnavailable, match="unreadable"):
            await client.call("echo")
        cookie.write_text("no-colon-here")
        with pytest.raises(RpcUnavailable, match="malformed"):
            await client.call("echo")
    finally:
        await client.aclose()
    assert rpc_node.calls == []


@pytest.mark.parametrize(
    ("status", "body"),
    [(503, b"Work queue depth exceeded"), (500, b"<html>oops</html>"), (200, b"[1, 2]")],
)
async def test_http_failures_without_a_json_rpc_reply_are_unavailable(
    rpc_node: Node, rpc: BitcoindRpc, status: int, body: bytes
) -> None:
    rpc_node.server.raw_replies.append((status, body))
    with pytest.raises(RpcUnavailable, match=f"HTTP {status}"):
        await rpc.call("echo")
    assert await rpc.call("echo", "after") == ["after"]


async def test_refused_connection_then_recovery_on_the_same_port(
    rpc_node: Node, rpc: BitcoindRpc
) -> None:
    assert await rpc.call("echo") == []
    await rpc_node.server.stop()
    with pytest.raises(RpcUnavailable, match="echo"):
        await rpc.call("echo")
    await rpc_node.server.start()
    assert await rpc.call("echo", "back") == ["back"]


async def test_timeout_is_unavailable_and_latency_is_observed(rpc_node: Node) -> None:
    observed: list[tuple[str, float]] = []
    client = BitcoindRpc(
        rpc_node.server.url,
        UserPassword("alice", SECRET),
        timeout=0.1,
        rpc_latency_observer=lambda method, seconds: observed.append((method, seconds)),
    )
    rpc_node.server.hold = 1
    try:
        with pytest.raises(RpcUnavailable, match=r"timed out after 0\.1s"):
            await client.call("echo")
        rpc_node.server.release()
        assert await client.call("echo", 5, time_limit=2.0) == [5]
    finally:
        await client.aclose()
    assert [method for method, _ in observed] == ["echo", "echo"]
    assert observed[0][1] >= 0.1


async def test_closed_client_refuses_calls(rpc: BitcoindRpc) -> None:
    await rpc.aclose()
    with pytest.raises(RpcClosedError, match="closed"):
        await rpc.call("echo")
