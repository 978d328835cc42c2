"""WebSocket load: N connections held for the run, each sending a message and timing the reply.

`ws_connecting` times the handshake; `ws_msg_rtt` times one exchange: the message sent until
the reply that ends it (the first message containing `until`, else the `replies`-th message).
`{n}` in the message and in `until` becomes a token unique to the exchange, so a server that
echoes it lets each reply be matched to its own message even when it broadcasts one user's
events to all of that user's connections. A session closed by the server (or broken) before
the run ends counts in `ws_session_failed` and, when the server sent a close code, in
`ws_closes` by code (1011 "internal error" is the classic). A dropped session is reopened
after a short pause, so the connection count holds for the run.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

import aiohttp

from gate.stress.http import error_kind
from gate.stress.recorder import Recorder

_REOPEN_PAUSE_S = 0.2
_ENDED = (
    aiohttp.WSMsgType.CLOSE,
    aiohttp.WSMsgType.CLOSING,
    aiohttp.WSMsgType.CLOSED,
    aiohttp.WSMsgType.ERROR,
)


@dataclass(frozen=True)
class Exchange:
    """What each connection does: send `message` every `interval_s`, wait for the reply."""

    url: str
    headers: dict[str, str]
    message: str
    replies: int  # used when `until` is None; 0: send only, time nothing
    until: str | None
    interval_s: float
    timeout_s: float


class _Ended(Exception):
    """The server closed the session (or it broke) before the run ended."""


async def hold_connections(
    session: aiohttp.ClientSession,
    recorder: Recorder,
    exchange: Exchange,
    *,
    connections: int,
    deadline: float,
    stopped: Callable[[], bool],
    prefix: str = "",
) -> None:
    """Run `connections` sessions until `deadline` (a `perf_counter` time) or a stop."""
    sequence = itertools.count()

    async def one() -> None:
        while not stopped() and perf_counter() < deadline:
            await _session(
                session, recorder, exchange, deadline, stopped, lambda: f"{prefix}{next(sequence)}"
            )
            if not stopped() and perf_counter() < deadline:
                await asyncio.sleep(min(_REOPEN_PAUSE_S, max(deadline - perf_counter(), 0)))

    await asyncio.gather(*(one() for _ in range(connections)))


async def _session(
    session: aiohttp.ClientSession,
    rec: Recorder,
    ex: Exchange,
    deadline: float,
    stopped: Callable[[], bool],
    token: Callable[[], str],
) -> None:
    rec.ws_attempts += 1
    start = perf_counter()
    try:
        ws = await session.ws_connect(
            ex.url,
            headers=ex.headers,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=min(ex.timeout_s, 5.0)),
            autoping=True,
            heartbeat=None,
        )
    except Exception as exc:  # refused, DNS, handshake rejected: a failed session
        rec.ws_session_failed(None, f"ws {_ws_error(exc)}")
        return
    rec.ws_connected(perf_counter() - start)
    try:
        while not stopped() and perf_counter() < deadline:
            n = token()
            sent = perf_counter()
            await ws.send_str(ex.message.replace("{n}", n))
            until = ex.until.replace("{n}", n) if ex.until is not None else None
            if await _await_reply(ws, ex, until, deadline):
                rec.ws_message(perf_counter() - sent)
            next_send = sent + ex.interval_s
            if next_send > deadline:
                break
            await _discard_until(ws, next_send)
    except _Ended:
        rec.ws_session_failed(ws.close_code, None if ws.close_code else "ws closed")
    except TimeoutError:
        rec.ws_session_failed(None, f"ws no reply within {ex.timeout_s:g} s")
    except Exception as exc:
        rec.ws_session_failed(ws.close_code, f"ws {error_kind(exc)}")
    finally:
        if not ws.closed:
            await ws.close()


async def _await_reply(
    ws: aiohttp.ClientWebSocketResponse, ex: Exchange, until: str | None, deadline: float
) -> bool:
    """Wait for the reply that ends the exchange; False when the run ended first."""
    needed = 1 if until is not None else ex.replies
    limit = perf_counter() + ex.timeout_s
    run_ends_first = deadline <= limit  # then a wait that runs out is the end, not a timeout
    while needed > 0:
        left = min(limit, deadline) - perf_counter()
        try:
            if left <= 0:
                raise TimeoutError
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            if run_ends_first:
                return False
            raise
        if msg.type in _ENDED:
            raise _Ended
        if until is None or (isinstance(msg.data, str) and until in msg.data):
            needed -= 1
    return ex.replies > 0 or until is not None


async def _discard_until(ws: aiohttp.ClientWebSocketResponse, until: float) -> None:
    """Wait for the next send time, dropping other messages, noticing a close at once."""
    while (left := until - perf_counter()) > 0:
        try:
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            return
        if msg.type in _ENDED:
            raise _Ended


def _ws_error(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"handshake {exc.status}"
    return error_kind(exc)
