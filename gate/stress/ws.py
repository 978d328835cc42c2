"""WebSocket load: N connections held for the run, each sending a message and timing replies.

`ws_connecting` times the handshake; `ws_msg_rtt` times one exchange (the message sent until
the `replies`-th message back); a session closed by the server (or broken) before the run ends
counts in `ws_session_failed` and, when the server sent a close code, in `ws_closes` by code
(1011 "internal error" is the classic). A dropped session is reopened after a short pause, so
the connection count holds for the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from time import perf_counter

import aiohttp

from gate.stress.http import error_kind
from gate.stress.recorder import Recorder

_REOPEN_PAUSE_S = 0.2


async def hold_connections(
    session: aiohttp.ClientSession,
    recorder: Recorder,
    *,
    url: str,
    headers: dict[str, str],
    connections: int,
    message: str,
    replies: int,
    interval_s: float,
    deadline: float,
    timeout_s: float,
    stopped: Callable[[], bool],
) -> None:
    """Run `connections` sessions until `deadline` (a `perf_counter` time) or a stop."""

    async def one() -> None:
        while not stopped() and perf_counter() < deadline:
            await _session(
                session,
                recorder,
                url,
                headers,
                message,
                replies,
                interval_s,
                deadline,
                timeout_s,
                stopped,
            )
            if not stopped() and perf_counter() < deadline:
                await asyncio.sleep(min(_REOPEN_PAUSE_S, max(deadline - perf_counter(), 0)))

    await asyncio.gather(*(one() for _ in range(connections)))


async def _session(
    session: aiohttp.ClientSession,
    rec: Recorder,
    url: str,
    headers: dict[str, str],
    message: str,
    replies: int,
    interval_s: float,
    deadline: float,
    timeout_s: float,
    stopped: Callable[[], bool],
) -> None:
    rec.ws_attempts += 1
    start = perf_counter()
    try:
        ws = await session.ws_connect(
            url,
            headers=headers,
            timeout=aiohttp.ClientWSTimeout(ws_receive=timeout_s, ws_close=min(timeout_s, 5.0)),
            autoping=True,
            heartbeat=None,
        )
    except Exception as exc:  # refused, DNS, handshake rejected: a failed session
        rec.ws_session_failed(None, f"ws {_ws_error(exc)}")
        return
    rec.ws_connected(perf_counter() - start)
    try:
        while not stopped() and perf_counter() < deadline:
            sent = perf_counter()
            await ws.send_str(message)
            for _ in range(replies):
                remaining = deadline - perf_counter()
                msg = await ws.receive(timeout=min(timeout_s, max(remaining, 0.001)))
                if msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    rec.ws_session_failed(ws.close_code, None if ws.close_code else "ws closed")
                    return
            if replies:
                rec.ws_message(perf_counter() - sent)
            pause = min(interval_s, deadline - perf_counter())
            if pause > 0:
                await _idle(ws, pause, rec)
                if ws.closed:
                    return
    except TimeoutError:
        if perf_counter() < deadline:  # no reply within timeout_s: the session is broken
            rec.ws_session_failed(None, "ws timeout")
    except Exception as exc:
        rec.ws_session_failed(ws.close_code, f"ws {error_kind(exc)}")
    finally:
        if not ws.closed:
            await ws.close()


async def _idle(ws: aiohttp.ClientWebSocketResponse, pause: float, rec: Recorder) -> None:
    """Wait between messages while still noticing a close the server sends meanwhile."""
    try:
        msg = await ws.receive(timeout=pause)
    except TimeoutError:
        return
    if msg.type in (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSING,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    ):
        rec.ws_session_failed(ws.close_code, None if ws.close_code else "ws closed")


def _ws_error(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"handshake {exc.status}"
    return error_kind(exc)
