"""A TCP proxy that behaves like a weak 2G/3G uplink: limited bandwidth, latency, cuts.

Runs its own event loop in a thread. Client-to-server bytes pass through a token bucket of
``bytes_per_s``; after ``cut_every`` client bytes on one connection, both sides are closed (the
client sees its request die mid-body and reconnects). With ``rtt_s``, a new connection carries
nothing for one round trip (TCP's handshake), and every byte reaches the other side half a
round trip after it was read, in both directions (a delay line, so the bandwidth is
unchanged). Counts what it carried.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass

__all__ = ["WeakLink"]


@dataclass
class LinkStats:
    """What went through."""

    upstream_bytes: int = 0
    connections: int = 0
    cuts: int = 0


class WeakLink:
    """Listen on 127.0.0.1:<port>, forward to ``target``, slowly and unreliably."""

    def __init__(
        self,
        target_port: int,
        *,
        bytes_per_s: float,
        cut_every: int | None = 128 * 1024,
        rtt_s: float = 0.0,
    ) -> None:
        self.target_port = target_port
        self.bytes_per_s = bytes_per_s
        self.cut_every = cut_every
        self.rtt_s = rtt_s
        self.stats = LinkStats()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._next_send = 0.0

    @property
    def base(self) -> str:
        """The proxy's URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> WeakLink:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        # Stopped: end the connections still open, so no task is left pending at exit.
        self._server.close()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.close()

    async def _throttle(self, size: int) -> None:
        # One shared bucket: all connections share the link's bandwidth, like one radio.
        now = time.monotonic()
        start = max(now, self._next_send)
        self._next_send = start + size / self.bytes_per_s
        await asyncio.sleep(self._next_send - now)

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        # Cancelled only when the link stops: end quietly (asyncio's stream callback of 3.11
        # logs a traceback for a connection task that ends cancelled).
        with contextlib.suppress(asyncio.CancelledError):
            await self._carry(client_r, client_w)

    async def _carry(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        await asyncio.sleep(self.rtt_s)  # SYN, SYN-ACK: the client's first byte waits
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.close()
            return
        carried = 0
        one_way = self.rtt_s / 2
        up: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()
        down: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()

        async def deliver(
            queue: asyncio.Queue[tuple[float, bytes | None]], writer: asyncio.StreamWriter
        ) -> None:
            while True:
                due, data = await queue.get()
                if data is None:
                    raise ConnectionResetError("closed")
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()

        async def upstream() -> None:
            nonlocal carried
            while data := await client_r.read(4096):
                if self.cut_every is not None and carried + len(data) > self.cut_every:
                    data = data[: self.cut_every - carried]
                    await self._throttle(len(data))
                    up.put_nowait((time.monotonic() + one_way, data))
                    self.stats.upstream_bytes += len(data)
                    self.stats.cuts += 1
                    break
                await self._throttle(len(data))
                up.put_nowait((time.monotonic() + one_way, data))
                carried += len(data)
                self.stats.upstream_bytes += len(data)
            # The end (or the cut) travels behind the last bytes: what was on the air still
            # arrives, and the connection closes when its delivery reaches the end.
            up.put_nowait((time.monotonic() + one_way, None))
            await asyncio.Event().wait()

        async def downstream() -> None:
            while data := await server_r.read(4096):
                down.put_nowait((time.monotonic() + one_way, data))
            down.put_nowait((time.monotonic() + one_way, None))
            await asyncio.Event().wait()

        tasks = [
            asyncio.ensure_future(upstream()),
            asyncio.ensure_future(downstream()),
            asyncio.ensure_future(deliver(up, server_w)),
            asyncio.ensure_future(deliver(down, client_w)),
        ]
        with contextlib.suppress(Exception):
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for writer in (client_w, server_w):
            with contextlib.suppress(Exception):
                writer.close()
