"""The federation service: listener, one dialer per peer, one link per peer, heartbeats.

Every node listens and dials every configured peer, so two links may come up
between a pair at once; both ends then keep the one dialed by the node with
the smaller name (a newer link in the same direction replaces an older one),
so they agree without talking about it. A block our pool finds is announced
to every link (`announce`, a `BlockHandler` observer); a block a peer announces
is submitted to our own work source and never relayed (the sender announces
to each peer itself), and a seen-set of hashes drops repeats.

Every heartbeat the standalone flag (`control`) is read: the emergency switch
takes the node out (no listener, no links) within one interval, and back in
when cleared.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any, Final

from loka_stratum.config.federation import FederationPeer, FederationSettings
from loka_stratum.federation.blocks import BlockExchange
from loka_stratum.federation.connection import LinkMessage
from loka_stratum.federation.control import FederationControl, Standalone
from loka_stratum.federation.link import PeerLink
from loka_stratum.federation.messages import BlockAnnounce, FederationProtocolError, Hello
from loka_stratum.federation.peers import Backoff, NodeStatus, PeerStatus
from loka_stratum.observability.federation_metrics import FederationMetrics
from loka_stratum.observability.loggers import get_logger
from loka_stratum.sources.base import SubmitResult, WorkSource

log = get_logger("loka_stratum.federation")

HANDSHAKE_TIMEOUT: Final = 5.0
MISSED_HEARTBEATS: Final = 3


class FederationService:
    """Links this pool to its federation peers (pool mode)."""

    def __init__(
        self,
        settings: FederationSettings,
        source: WorkSource,
        control: FederationControl,
        metrics: FederationMetrics,
        status: Callable[[], NodeStatus],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        assert settings.secret is not None  # enforced by config validation when enabled
        self.settings = settings
        self._secret = settings.secret.get_secret_value().encode()
        self._source = source
        self._control = control
        self._metrics = metrics
        self._status = status
        self._monotonic = monotonic
        self._peers = {peer.name: peer for peer in settings.peers}
        self._links: dict[str, PeerLink] = {}
        self._handshaking: set[PeerLink] = set()
        self._wake = {name: asyncio.Event() for name in self._peers}
        self._tasks: set[asyncio.Task[object]] = set()
        self._server: asyncio.Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._blocks = BlockExchange(source, metrics, lambda: self._status().height)
        self.standalone = Standalone(False)
        self.bound_port: int | None = None
        self.changed = asyncio.Event()
        """Set when links, what a peer said, or this node's listening change; a reader
        that wants the next change clears it and waits."""

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self._metrics.peers_configured.set(len(self._peers))
        self.standalone = await self._control.read()
        if self.standalone.on:
            log.warning("Federation standalone", by=self.standalone.by, since=self.standalone.since)
        else:
            await self._go_online()
        self._ticker = asyncio.create_task(self._tick_loop(), name="federation-ticker")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await self._go_offline()

    async def _go_online(self) -> None:
        settings = self.settings
        self._server = await asyncio.start_server(self._accept, settings.host, settings.port)
        self.bound_port = self._server.sockets[0].getsockname()[1]
        self.changed.set()
        for peer in self._peers.values():
            self._spawn(self._dial_loop(peer), f"federation-dial-{peer.name}")
        log.info(
            "Federation listening",
            node=settings.node_name,
            port=self.bound_port,
            peers=len(self._peers),
        )

    async def _go_offline(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for link in [*self._links.values(), *self._handshaking]:
            await link.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.bound_port = None
        self._metrics.peers_connected.set(0)
        self.changed.set()

    def _spawn(self, coroutine: Coroutine[Any, Any, object], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the heartbeat: flag, heartbeats, silent peers ----------------------------------

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_interval)
            await self.tick()

    async def tick(self) -> None:
        """One heartbeat: follow the standalone flag, then beat and drop silent links."""
        try:
            flag = await self._control.read()
        except Exception as exc:  # the database may be down: keep the state we are in
            log.warning("Federation flag unreadable", error_type=type(exc).__name__)
            flag = self.standalone
        if flag.on and not self.standalone.on:
            log.warning("Federation disabled: standalone", by=flag.by, since=flag.since)
            await self._go_offline()
        elif self.standalone.on and not flag.on:
            log.info("Federation enabled", by=flag.by)
            await self._go_online()
        self.standalone = flag
        await self._beat()

    async def _beat(self) -> None:
        status = self._status()
        silent_after = MISSED_HEARTBEATS * self.settings.heartbeat_interval
        for name, link in list(self._links.items()):
            if self._monotonic() - link.last_heard > silent_after:
                log.warning("Federation peer silent", peer=name, error_type="heartbeat_timeout")
                self._metrics.link_error("heartbeat_timeout")
                await link.close()
            else:
                link.heartbeat(status.height, status.tip, status.hashrate, status.miners)

    # -- links --------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await self._serve(reader, writer, dialed=False)

    async def _dial_loop(self, peer: FederationPeer) -> None:
        backoff = Backoff(self.settings.reconnect_backoff_max)
        wake = self._wake[peer.name]
        while True:
            link = self._links.get(peer.name)
            if link is not None:
                await link.closed.wait()
                continue
            wake.clear()
            adopted = False
            try:
                async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                    reader, writer = await asyncio.open_connection(peer.host, peer.port)
            except OSError as exc:  # TimeoutError included
                log.debug("Federation dial failed", peer=peer.name, error_type=type(exc).__name__)
            else:
                adopted = await self._serve(reader, writer, dialed=True)
            if adopted:
                backoff.reset()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff.next_delay()):
                    await wake.wait()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, dialed: bool
    ) -> bool:
        """Run one connection to its end; True when it became the peer's link."""
        link = PeerLink(reader, writer, self.settings.node_name, self._secret, dialed=dialed)
        self._handshaking.add(link)
        adopted = False
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                peer = await link.handshake()
            if peer not in self._peers:
                raise FederationProtocolError("unknown_peer", f"{peer!r} is not in our peers")
            self._handshaking.discard(link)
            adopted = self._adopt(link, peer)
            if adopted:
                await self._run_link(link, peer)
        except FederationProtocolError as exc:
            self._link_failed(link, exc.error_type, exc.detail)
        except TimeoutError:
            self._link_failed(link, "handshake_timeout", "no authentication in time")
        except OSError as exc:
            log.info("Federation link lost", peer=link.peer, error_type=type(exc).__name__)
        finally:
            self._handshaking.discard(link)
            self._drop(link)
            await link.close()
        return adopted

    async def _run_link(self, link: PeerLink, peer: str) -> None:
        status = self._status()
        log.info("Federation peer connected", peer=peer, address=link.address, dialed=link.dialed)
        link.send(Hello(self.settings.node_name, status.network, status.height, status.tip))
        link.heartbeat(status.height, status.tip, status.hashrate, status.miners)
        await link.run(self._on_message)
        log.info("Federation peer disconnected", peer=peer)

    def _link_failed(self, link: PeerLink, error_type: str, detail: str) -> None:
        log.warning(
            "Federation link refused" if link.last_seen is None else "Federation link closed",
            peer=link.peer,
            address=link.address,
            error_type=error_type,
            detail=detail,
        )
        self._metrics.link_error(error_type)
        self.changed.set()

    def _adopt(self, link: PeerLink, peer: str) -> bool:
        current = self._links.get(peer)
        if current is not None and not current.closed.is_set():
            keep_ours = self.settings.node_name < peer
            if link.dialed != keep_ours:
                log.debug("Federation duplicate link dropped", peer=peer)
                return False
            self._spawn(current.close(), f"federation-replace-{peer}")
        self._links[peer] = link
        self._metrics.peers_connected.set(len(self._links))
        self.changed.set()
        return True

    def _drop(self, link: PeerLink) -> None:
        name = link.peer
        if name is not None and self._links.get(name) is link:
            del self._links[name]
            self._metrics.peers_connected.set(len(self._links))
            self._metrics.peer_gone(name)
            self.changed.set()

    async def _on_message(self, link: PeerLink, message: LinkMessage) -> None:
        if link.latency is not None and link.peer is not None:
            self._metrics.link_latency(link.peer, link.latency)
        if isinstance(message, Hello):
            network = self._status().network
            if message.network != network:
                raise FederationProtocolError("wrong_network", f"{message.network} != {network}")
        elif isinstance(message, BlockAnnounce):
            await self._blocks.receive(link.peer, message)
        self.changed.set()

    def announce(self, block: bytes, result: SubmitResult) -> None:
        """`BlockHandler` observer: our node accepted a block we found; tell every peer."""
        self._blocks.announce(block, result, list(self._links.values()))

    # -- operator actions ---------------------------------------------------------------

    async def reconnect(self) -> int:
        """Drop every link and redial at once; the number of links dropped."""
        links = list(self._links.values())
        log.info("Federation reconnect", links=len(links))
        for link in links:
            await link.close()
        for wake in self._wake.values():
            wake.set()
        return len(links)

    def peers(self) -> list[PeerStatus]:
        result = []
        for name, peer in self._peers.items():
            link = self._links.get(name)
            latency = None if link is None or link.latency is None else link.latency * 1000.0
            result.append(
                PeerStatus(
                    name=name,
                    url=peer.url,
                    connected=link is not None,
                    latency_ms=latency,
                    last_seen=None if link is None else link.last_seen,
                    height=None if link is None else link.height,
                    tip=None if link is None else link.tip,
                )
            )
        return result
