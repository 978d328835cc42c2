"""Real aiohttp servers on 127.0.0.1 for the stress engine's tests (a thread each, port 0)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import WSMsgType, web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextmanager
def serve(routes: dict[str, Handler], ssl_context: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve `routes` ({"GET /path": handler}) on a free loopback port; yield the base URL."""
    loop = asyncio.new_event_loop()
    app = web.Application()
    for route, handler in routes.items():
        method, path = route.split(" ", 1)
        app.router.add_route(method, path, _coroutine(handler))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _coroutine(handler: Handler) -> Handler:
    async def call(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    return call


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def fail500(request: web.Request) -> web.Response:
    return web.Response(status=500, text="boom")


class Stall:
    """From the `after`-th request on, every response arriving within `window_s` waits 1 s.

    This is the wrk2 scenario: a target that freezes for a moment. The handful of requests on
    the open connections see the second; every request the generator meant to send meanwhile
    waits behind them, which only an intended-time measurement shows.
    """

    def __init__(self, after: int, window_s: float = 0.3, stall_s: float = 1.0) -> None:
        self.after, self.window_s, self.stall_s = after, window_s, stall_s
        self.seen = 0
        self.started: float | None = None
        self.stalled = 0

    async def __call__(self, request: web.Request) -> web.Response:
        self.seen += 1
        if self.seen >= self.after and self.started is None:
            self.started = time.monotonic()
        if self.started is not None and time.monotonic() - self.started < self.window_s:
            self.stalled += 1
            await asyncio.sleep(self.stall_s)
        return web.Response(text="ok")


async def ws_close_1011(request: web.Request) -> web.WebSocketResponse:
    """Answers the first message, then closes with 1011 (internal error)."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str("pong")
            await ws.close(code=1011, message=b"internal error")
            break
    return ws


async def ws_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
    return ws


class Broadcast:
    """Sends every message it receives to every open connection (like a pub/sub hub)."""

    def __init__(self) -> None:
        self.peers: set[web.WebSocketResponse] = set()
        self.received = 0

    async def __call__(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.peers.add(ws)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.received += 1
                    for peer in list(self.peers):
                        if not peer.closed:
                            await peer.send_str(msg.data)
        finally:
            self.peers.discard(ws)
        return ws


def refused_url() -> str:
    """A loopback URL nothing listens on (a port bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def stress_config(**stress: Any) -> Any:
    from gate.config import validate_config

    return validate_config({"stress": stress}, env={}).stress
