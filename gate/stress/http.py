"""The HTTP hot path: an open-model dispatcher over pooled keep-alive connections.

Requests go through the lean client (`gate.stress.h1`, the default) or an aiohttp session
(`client = "aiohttp"`); either way at most `connections` are in use at once.

The dispatcher walks the schedule; at each intended time it starts a request if fewer than
`max_in_flight` are running, otherwise it counts the arrival as dropped (k6's
dropped_iterations): never silently skipped, never queued to go out late and look fast. A
request is `late` when the event loop reached it more than `late_after_s` after its intended
time: the sign of a saturated generator, which the self-check turns into an inconclusive run.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import socket
import ssl
from collections.abc import Callable
from time import perf_counter

import aiohttp

from gate.stress.h1 import ProtocolError
from gate.stress.recorder import Recorder
from gate.stress.request import PreparedRequest
from gate.stress.schedule import Schedule

_BATCH = 64  # arrivals started back to back before the dispatcher yields to the requests


def make_session(limit: int, timeout_s: float) -> aiohttp.ClientSession:
    """One pooled session for the whole worker: connections reused, no cookies, no decoding."""
    connector = aiohttp.TCPConnector(
        limit=limit, limit_per_host=limit, ttl_dns_cache=300, force_close=False
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(timeout_s, 5.0)),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        skip_auto_headers=("User-Agent",),
        headers={"User-Agent": "deploy-gate-stress"},
    )


def error_kind(exc: BaseException) -> str:
    """A short, stable error kind for `summary["errors"]` (no URLs, nothing secret)."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return "dns"
    if isinstance(exc, ConnectionRefusedError):
        return "connect refused"
    if isinstance(exc, ssl.SSLError | aiohttp.ClientSSLError):
        return "tls"
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = getattr(exc, "os_error", None)
        if isinstance(os_error, ConnectionRefusedError):
            return "connect refused"
        if isinstance(os_error, TimeoutError):
            return "connect timeout"
        return "connect error"
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionResetError | aiohttp.ServerDisconnectedError):
        return "reset"
    if isinstance(exc, aiohttp.ClientOSError) and exc.errno == errno.ECONNRESET:
        return "reset"
    if isinstance(exc, aiohttp.ClientPayloadError | ProtocolError):
        return "bad response"
    if isinstance(exc, aiohttp.ClientResponseError):
        return "bad response"
    return type(exc).__name__


class HttpLoad:
    """Drives one worker's share of the schedule through `session`."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        recorder: Recorder,
        mix: list[PreparedRequest],
        *,
        max_in_flight: int,
        connections: int,
        late_after_s: float,
        stopped: Callable[[], bool],
    ) -> None:
        self.session = session
        self.rec = recorder
        self.mix = mix
        self.max_in_flight = max_in_flight
        self.late_after_s = late_after_s
        self.stopped = stopped
        self.in_flight = 0
        # The pool bound lives here, not in aiohttp, so the wait for a connection is outside
        # the service time (wrk2: service from the actual send, latency from the intended one).
        self.slots = asyncio.Semaphore(connections)
        self._tasks: set[asyncio.Task[None]] = set()

    async def open_model(
        self, schedule: Schedule, t0: float, first: int, stride: int, limit: int
    ) -> None:
        """Start arrivals `first, first+stride, ...` at `t0 + schedule.time_of(i)`."""
        rec, mix, mix_len = self.rec, self.mix, len(self.mix)
        time_of, create_task = schedule.time_of, asyncio.get_running_loop().create_task
        tasks, discard = self._tasks, self._tasks.discard
        late_after, burst = self.late_after_s, 0
        for i in itertools.count(first, stride):
            offset = time_of(i)
            if offset is None or self.stopped() or rec.scheduled >= limit:
                break
            intended = t0 + offset
            now = perf_counter()
            if intended - now > 0.0005:
                burst = 0
                await asyncio.sleep(intended - now)
                if self.stopped():
                    break
                now = perf_counter()
            rec.scheduled += 1
            if self.in_flight >= self.max_in_flight:
                rec.dropped += 1
            else:
                if now - intended > late_after:
                    rec.late += 1
                self.in_flight += 1
                task = create_task(self._one(mix[i % mix_len], intended))
                tasks.add(task)
                task.add_done_callback(discard)
            burst += 1
            if burst >= _BATCH:
                burst = 0
                await asyncio.sleep(0)
        await self.drain()

    async def closed_model(self, concurrency: int, deadline: float) -> None:
        """Back-to-back requests from `concurrency` loops: generator capacity (bench only).

        Latency here is service time only (a closed loop hides stalls); the open model is what
        gates use.
        """

        async def loop(offset: int) -> None:
            mix, n = self.mix, len(self.mix)
            for i in itertools.count(offset, concurrency):
                if self.stopped() or perf_counter() >= deadline:
                    return
                self.rec.scheduled += 1
                self.in_flight += 1
                await self._one(mix[i % n], perf_counter())

        await asyncio.gather(*(loop(k) for k in range(concurrency)))

    async def drain(self) -> None:
        """Wait for the requests still in flight (bounded by the session timeout)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _one(self, ep: PreparedRequest, intended: float) -> None:
        status, error = 0, None
        async with self.slots:
            sent = perf_counter()
            try:
                if ep.pool is not None:
                    status = await ep.pool.send(ep.wire, ep.method == "HEAD")
                else:
                    status = await self._aiohttp(ep)
            except Exception as exc:  # every failure is counted by kind, none escapes
                error = error_kind(exc)
        self.in_flight -= 1
        self.rec.http(ep, intended, sent, perf_counter(), status, error)

    async def _aiohttp(self, ep: PreparedRequest) -> int:
        assert self.session is not None
        async with self.session.request(ep.method, ep.url, headers=ep.headers, data=ep.body) as r:
            await r.read()
            return r.status
