"""The demo's agent endpoint: one run streams five kinds of events to its user's sockets.

Events are published to every open socket of the user who started the run (a user may watch
from several tabs) and to nobody else, which is what an isolation check between two identities
verifies; each carries the user's name and stable `user_id`, which an ownership check compares
with the id the login answered. A client that reconnects sends `{"type": "resume", "run_id": ...}`
and gets that run's events again (its own runs only). The `missing-event` and `event-leak` faults
break exactly those promises.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections import OrderedDict, defaultdict
from typing import Any

from aiohttp import web

EVENT_GAP_S = 0.02  # a short pause between events, so clients see a stream, not one burst
KEPT_RUNS = 1000  # runs whose events a reconnecting client can resume (oldest dropped first)


def user_id(user: str) -> str:
    """A stable, opaque id for a user name (what login answers and events carry)."""
    return "user_" + hashlib.sha256(user.encode()).hexdigest()[:8]


class AgentHub:
    """Open agent sockets by user, and the runs that publish to them."""

    def __init__(self, *, skip: frozenset[str] = frozenset(), leak: bool = False) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self._skip = skip
        self._leak = leak
        self._tasks: set[asyncio.Task[None]] = set()
        self._runs: OrderedDict[str, tuple[str, list[dict[str, Any]]]] = OrderedDict()

    def join(self, user: str, ws: web.WebSocketResponse) -> None:
        self._sockets[user].add(ws)

    def leave(self, user: str, ws: web.WebSocketResponse) -> None:
        self._sockets[user].discard(ws)

    def start(self, user: str, prompt: str) -> str:
        """Start a run in the background and return its id."""
        run_id = f"run-{uuid.uuid4().hex[:12]}"
        task = asyncio.get_running_loop().create_task(self._run(user, run_id, prompt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run_id

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close()

    def history(self, user: str, run_id: str) -> list[dict[str, Any]] | None:
        """The events of `user`'s run so far (None: no such run of this user)."""
        owner, events = self._runs.get(run_id, ("", []))
        return list(events) if owner == user else None

    async def _run(self, user: str, run_id: str, prompt: str) -> None:
        events: list[dict[str, Any]] = []
        self._runs[run_id] = (user, events)
        while len(self._runs) > KEPT_RUNS:
            self._runs.popitem(last=False)
        for kind, data in script(prompt):
            if kind in self._skip:
                continue
            event: dict[str, Any] = {"type": kind, "run_id": run_id, "user": user}
            event["user_id"] = user_id(user)
            event["data"] = data
            events.append(event)
            await self._publish(user, event)
            await asyncio.sleep(EVENT_GAP_S)

    async def _publish(self, user: str, event: dict[str, Any]) -> None:
        if self._leak:
            targets = [ws for sockets in self._sockets.values() for ws in sockets]
        else:
            targets = list(self._sockets.get(user, ()))
        for ws in targets:
            if not ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_json(event)


def script(prompt: str) -> list[tuple[str, dict[str, Any]]]:
    """The events of one run, in order (agent_thinking texts are at least 50 characters)."""
    topic = prompt.strip()[:80]
    return [
        ("agent_started", {"prompt": prompt}),
        (
            "agent_thinking",
            {"text": f"Reading the request ({topic!r}) and deciding which tool can answer it."},
        ),
        (
            "agent_thinking",
            {"text": "The search tool fits: it returns sources that the answer can quote."},
        ),
        ("tool_executing", {"tool": "search", "args": {"query": topic}}),
        ("tool_completed", {"tool": "search", "result": {"hits": 3}, "duration_ms": 12}),
        ("agent_completed", {"answer": f"Found 3 sources about {topic!r}.", "tokens": 42}),
    ]
