"""WebSocket connections for checks: failures say the close code and reason, never just "closed".

The seeds lost days to `ConnectionClosedError: received 1011 (internal error)` buried in logs;
here every failure is an `AssertionError` like `WS /ws/agent closed 1011 (internal error) after 2
messages`, which is what lands in the JUnit message and the PR comment.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.frames import CLOSE_CODE_EXPLANATIONS
from websockets.sync.client import ClientConnection, connect

from gate.checks.match import excerpt

DEFAULT_OPEN_TIMEOUT_S = 10.0


def ws_url(base_url: str, path: str, query: Mapping[str, str] | None = None) -> str:
    """`http://h:1/api` + `/ws/agent` -> `ws://h:1/api/ws/agent` (https -> wss)."""
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    target = urlsplit(path)
    full_path = parts.path.rstrip("/") + "/" + target.path.lstrip("/")
    params = target.query
    if query:
        params = "&".join(p for p in (params, urlencode(dict(query))) if p)
    return urlunsplit((scheme, parts.netloc, full_path, params, ""))


def describe_close(exc: ConnectionClosed) -> str:
    """`closed 1011 (internal error)`, or `dropped without a close frame`."""
    frame = exc.rcvd
    if frame is None:
        return "dropped without a close frame"
    return _closed(frame.code, frame.reason)


def _closed(code: int, reason: str) -> str:
    return f"closed {code} ({reason or CLOSE_CODE_EXPLANATIONS.get(code, 'no reason given')})"


class NoMessage(AssertionError):
    """Nothing arrived within the time given (the socket is still open)."""


class WebSocket:
    """A connected socket whose failures are readable assertions.

    `received` keeps every decoded message, so a failure can say how far the exchange got.
    """

    def __init__(self, conn: ClientConnection, label: str) -> None:
        self.conn = conn
        self.label = label
        self.received: list[Any] = []

    def __enter__(self) -> WebSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def ping(self, timeout_s: float) -> None:
        """A protocol-level ping/pong: proves the socket stays open after the handshake."""
        try:
            pong = self.conn.ping()
        except ConnectionClosed as exc:
            raise AssertionError(
                f"{self.label} {describe_close(exc)} after the handshake"
            ) from None
        end = time.monotonic() + timeout_s
        while not pong.wait(0.05):
            code = self.conn.protocol.close_code
            if code is not None:
                closed = _closed(code, self.conn.protocol.close_reason or "")
                raise AssertionError(f"{self.label} {closed} after the handshake")
            if time.monotonic() > end:
                raise NoMessage(f"{self.label}: no pong within {timeout_s:g} s")

    def send_json(self, message: Any) -> None:
        try:
            self.conn.send(message if isinstance(message, str) else json.dumps(message))
        except ConnectionClosed as exc:
            raise AssertionError(f"{self.label} {describe_close(exc)} before sending") from None

    def recv(self, timeout_s: float) -> str | bytes:
        try:
            return self.conn.recv(timeout=max(timeout_s, 0.0))
        except TimeoutError:
            raise NoMessage(
                f"{self.label}: no message within {timeout_s:g} s "
                f"(after {len(self.received)} message(s))"
            ) from None
        except ConnectionClosed as exc:
            raise AssertionError(
                f"{self.label} {describe_close(exc)} after {len(self.received)} message(s)"
            ) from None

    def recv_json(self, timeout_s: float) -> Any:
        raw = self.recv(timeout_s)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            message = json.loads(text)
        except ValueError:
            raise AssertionError(
                f"{self.label}: expected a JSON message, got {excerpt(text)!r}"
            ) from None
        self.received.append(message)
        return message

    def collect(
        self, deadline_s: float, until_type: str | None = None, type_key: str = "type"
    ) -> list[Any]:
        """JSON messages until one of type `until_type` (inclusive) or the deadline."""
        end = time.monotonic() + deadline_s
        start = len(self.received)
        while True:
            try:
                message = self.recv_json(max(end - time.monotonic(), 0.0))
            except NoMessage:
                if until_type is None:
                    return self.received[start:]
                seen = _types(self.received[start:], type_key)
                raise NoMessage(
                    f"{self.label}: no '{until_type}' within {deadline_s:g} s; saw {seen}"
                ) from None
            if until_type is not None and _type_of(message, type_key) == until_type:
                return self.received[start:]


def open_socket(
    url: str,
    label: str,
    *,
    headers: Mapping[str, str] | None = None,
    open_timeout_s: float = DEFAULT_OPEN_TIMEOUT_S,
) -> WebSocket:
    """Connect, or raise an `AssertionError` saying what the handshake got (status, refusal)."""
    try:
        conn = connect(
            url,
            additional_headers=dict(headers or {}),
            open_timeout=open_timeout_s,
            close_timeout=2,
            max_size=2**22,
        )
    except InvalidStatus as exc:
        body = excerpt(exc.response.body.decode("utf-8", "replace")) if exc.response.body else ""
        raise AssertionError(
            f"{label}: handshake refused with HTTP {exc.response.status_code}"
            + (f": {body!r}" if body else "")
        ) from None
    except InvalidURI as exc:
        raise AssertionError(f"{label}: invalid WebSocket URL ({exc})") from None
    except TimeoutError:
        raise AssertionError(
            f"{label}: handshake not completed within {open_timeout_s:g} s"
        ) from None
    except ConnectionClosed as exc:
        raise AssertionError(f"{label} {describe_close(exc)} during the handshake") from None
    except InvalidHandshake as exc:
        raise AssertionError(f"{label}: invalid handshake ({exc})") from None
    except ConnectionRefusedError:
        raise AssertionError(f"{label}: connection refused") from None
    except OSError as exc:
        raise AssertionError(f"{label}: cannot connect ({exc.strerror or exc})") from None
    # Entered as a context manager (websockets 17.1 warns otherwise); `WebSocket.close` exits it.
    return WebSocket(conn.__enter__(), label)


def _type_of(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else None


def _types(messages: list[Any], key: str) -> str:
    names = [str(_type_of(m, key)) for m in messages]
    return " -> ".join(names) if names else "no messages"
