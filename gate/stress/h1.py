"""A lean HTTP/1.1 client on asyncio protocols: the default hot path of the load generator.

aiohttp costs ~80 us of Python per request (request objects, header multidicts, a parser
feeding a stream); a load generator needs none of that. Here each endpoint's request bytes are
encoded once, connections are kept alive in a pool, and a response is parsed only as far as
needed: the status, then Content-Length or chunked framing to find its end. On the benchmark
this is what makes one worker faster than Locust's FastHttpUser (README, "Stress checks").
aiohttp stays available (`client = "aiohttp"`) and serves the WebSocket load.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from time import perf_counter
from urllib.parse import urlsplit

_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024


class ProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response we can frame."""


class ServerClosed(ConnectionResetError):
    """The connection closed before the response was complete."""


def encode_request(method: str, url: str, headers: dict[str, str], body: bytes | None) -> bytes:
    """The request's bytes, built once per endpoint."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc.rsplit("@", 1)[-1]  # never send user:password in the Host header
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    names = {k.lower() for k in headers}
    if "user-agent" not in names:
        lines.append("User-Agent: deploy-gate-stress")
    lines.extend(f"{k}: {v}" for k, v in headers.items())
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class _Conn(asyncio.Protocol):
    """One keep-alive connection; `request()` writes and waits for the framed response."""

    __slots__ = (
        "_body_left",
        "_buf",
        "_chunked",
        "_done",
        "_head_only",
        "_status",
        "_until_close",
        "keep_alive",
        "transport",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._done: asyncio.Future[int] | None = None
        self._status = 0
        self._body_left = -1
        self._chunked = False
        self._until_close = False
        self._head_only = False
        self.keep_alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def request(self, data: bytes, head_only: bool) -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        self._status, self._body_left, self._chunked = 0, -1, False
        self._until_close, self._head_only = False, head_only
        assert self.transport is not None
        self.transport.write(data)
        return self._done

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        try:
            self._parse()
        except ProtocolError as exc:
            self._fail(exc)

    def _parse(self) -> None:
        buf = self._buf
        while self._done is not None and not self._done.done():
            if self._status == 0:
                end = buf.find(_HEAD_END)
                if end < 0:
                    if len(buf) > _MAX_HEAD:
                        raise ProtocolError("response head over 64 KiB")
                    return
                self._head(bytes(buf[:end]))
                del buf[: end + 4]
                if self._status < 200:  # 1xx interim response: the real one follows
                    self._status = 0
                    continue
            if self._until_close:
                buf.clear()
                return
            if self._chunked:
                if not self._chunks():
                    return
            elif self._body_left > len(buf):
                return
            else:
                del buf[: self._body_left]
            self._finish()

    def _head(self, head: bytes) -> None:
        first, _, rest = head.partition(b"\r\n")
        parts = first.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {first[:60]!r}")
        status = int(parts[1])
        lower = b"\r\n" + rest.lower()
        self.keep_alive = parts[0] == b"HTTP/1.1" and b"\r\nconnection: close" not in lower
        self._status = status
        if self._head_only or status in (204, 304) or status < 200:
            self._body_left = 0
        elif b"\r\ntransfer-encoding: chunked" in lower:
            self._chunked = True
        else:
            at = lower.find(b"\r\ncontent-length:")
            if at < 0:
                self._until_close, self.keep_alive = True, False
            else:
                end = lower.find(b"\r\n", at + 17)
                value = lower[at + 17 : end if end >= 0 else None].strip()
                if not value.isdigit():
                    raise ProtocolError(f"bad Content-Length {value[:20]!r}")
                self._body_left = int(value)

    def _chunks(self) -> bool:
        """Consume complete chunks; True once the last chunk and trailers are in."""
        buf = self._buf
        while True:
            line_end = buf.find(b"\r\n")
            if line_end < 0:
                return False
            size_text = bytes(buf[:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size {size_text[:20]!r}") from None
            if size == 0:
                trailer_end = buf.find(_HEAD_END, line_end)
                if buf[line_end : line_end + 4] == b"\r\n\r\n":
                    del buf[: line_end + 4]
                    return True
                if trailer_end < 0:
                    return False
                del buf[: trailer_end + 4]
                return True
            if len(buf) < line_end + 2 + size + 2:
                return False
            del buf[: line_end + 2 + size + 2]

    def _finish(self) -> None:
        done = self._done
        self._done = None
        if done is not None and not done.done():
            done.set_result(self._status)

    def _fail(self, exc: BaseException) -> None:
        self.keep_alive = False
        done = self._done
        self._done = None
        if done is not None and not done.done():
            done.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.keep_alive = False
        if self._until_close and self._status:
            self._finish()
        else:
            self._fail(exc or ServerClosed("the server closed the connection mid-response"))


class Pool:
    """Keep-alive connections to one origin; at most `size` in use (the caller bounds it)."""

    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.timeout_s = timeout_s
        self.idle: deque[_Conn] = deque()
        self.busy: dict[_Conn, float] = {}  # connection -> deadline (perf_counter)
        self._sweeper: asyncio.Task[None] | None = None

    async def send(self, data: bytes, head_only: bool) -> int:
        """Send one request; return its status. Raises OSError kinds, TimeoutError, ..."""
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        conn = None
        while self.idle:
            conn = self.idle.pop()
            if conn.keep_alive and conn.transport is not None and not conn.transport.is_closing():
                break
            conn = None  # closed by the server while idle
        if conn is None:
            conn = await self._connect()
        self.busy[conn] = perf_counter() + self.timeout_s
        try:
            status = await conn.request(data, head_only)
        finally:
            del self.busy[conn]
        if conn.keep_alive:
            self.idle.append(conn)
        elif conn.transport is not None:
            conn.transport.close()
        return status

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        _, conn = await asyncio.wait_for(
            loop.create_connection(_Conn, self.host, self.port, ssl=self.ssl),
            timeout=min(self.timeout_s, 5.0),
        )
        return conn

    async def _sweep(self) -> None:
        """Fail requests past their deadline (one timer for all, not one per request)."""
        while True:
            await asyncio.sleep(0.1)
            now = perf_counter()
            for conn, deadline in list(self.busy.items()):
                if now > deadline:
                    conn._fail(TimeoutError(f"no response within {self.timeout_s:g} s"))

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for conn in list(self.idle) + list(self.busy):
            if conn.transport is not None:
                conn.transport.close()
        self.idle.clear()
