"""A small job + agent service (aiohttp) for the flow and WebSocket tests, with switchable faults.

It follows the demo service's API (docs/demo.md) closely enough for flows, but is independent of it
so the check modules' tests do not depend on another engineer's code: time-based job states,
batches, and an agent socket streaming the five events, with faults turned on per instance.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

TOKENS = {"tok-alice-0001": "alice", "tok-bob-0002": "bob"}
THOUGHT = "Considering the request carefully and planning the tool calls needed to answer it."


@dataclass
class Faults:
    stuck: bool = False  # jobs stay running
    fail_every: int = 0  # every n-th job fails
    close_1011: bool = False  # agent socket closes 1011 after agent_started
    silent: bool = False  # agent socket never answers
    missing: str | None = None  # an agent event type never sent
    cross: bool = False  # events go to every connected user
    short_thoughts: bool = False  # agent_thinking text under 50 characters
    queued_s: float = 0.3
    running_s: float = 0.4


@dataclass
class State:
    faults: Faults
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    sockets: list[web.WebSocketResponse] = field(default_factory=list)


def _user(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
    token = token or request.query.get("token")
    return TOKENS.get(token or "")


def _status(state: State, job: dict[str, Any]) -> str:
    age = time.monotonic() - job["created"]
    if age < state.faults.queued_s:
        return "queued"
    if state.faults.stuck or age < state.faults.queued_s + state.faults.running_s:
        return "running"
    return "failed" if job["fail"] else "completed"


def make_app(faults: Faults | None = None) -> web.Application:
    state = State(faults or Faults())
    app = web.Application()

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "features": {"agents": True}})

    async def me(request: web.Request) -> web.Response:
        user = _user(request)
        if user is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        return web.json_response({"user": user})

    async def create(request: web.Request) -> web.Response:
        if _user(request) is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        number = next(state.counter)
        every = state.faults.fail_every
        fail = bool(body.get("fail")) or bool(every and number % every == 0)
        job_id = f"job-{number}"
        state.jobs[job_id] = {"created": time.monotonic(), "fail": fail}
        return web.json_response({"id": job_id, "status": "queued"}, status=201)

    async def get_job(request: web.Request) -> web.Response:
        job = state.jobs.get(request.match_info["id"])
        if job is None:
            return web.json_response({"error": "no such job"}, status=404)
        status = _status(state, job)
        code = None if status in ("queued", "running") else (1 if job["fail"] else 0)
        return web.json_response(
            {"id": request.match_info["id"], "status": status, "exit_code": code}
        )

    async def create_batch(request: web.Request) -> web.Response:
        body = await request.json()
        ids = []
        for _ in range(int(body["count"])):
            number = next(state.counter)
            every = state.faults.fail_every
            ids.append(f"job-{number}")
            state.jobs[ids[-1]] = {
                "created": time.monotonic(),
                "fail": bool(every and number % every == 0),
            }
        return web.json_response({"batch_id": f"b-{ids[0]}", "job_ids": ids}, status=201)

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    async def agent(request: web.Request) -> web.StreamResponse:
        user = _user(request)
        if user is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        state.sockets.append(ws)
        try:
            async for message in ws:
                data = message.json()
                if data.get("type") != "run" or state.faults.silent:
                    continue
                await _run_agent(state, ws, user, data)
        finally:
            state.sockets.remove(ws)
        return ws

    async def echo(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            await ws.send_str(message.data)
        return ws

    async def closing(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"boot failure")
        return ws

    app.router.add_get("/health", health)
    app.router.add_get("/api/me", me)
    app.router.add_post("/api/jobs", create)
    app.router.add_get("/api/jobs/{id}", get_job)
    app.router.add_post("/api/batches", create_batch)
    app.router.add_get("/maintenance", text)
    app.router.add_get("/ws/agent", agent)
    app.router.add_get("/ws/echo", echo)
    app.router.add_get("/ws/closing", closing)
    return app


async def _run_agent(
    state: State, ws: web.WebSocketResponse, user: str, data: dict[str, Any]
) -> None:
    run_id = f"run-{next(state.counter)}"
    thought = "too short" if state.faults.short_thoughts else THOUGHT
    events = [
        ("agent_started", {"agent": "helper"}),
        ("agent_thinking", {"text": thought}),
        ("agent_thinking", {"text": thought + " Next step."}),
        ("tool_executing", {"tool": "search"}),
        ("tool_completed", {"tool": "search", "result": "3 hits"}),
        ("agent_completed", {"result": "done"}),
    ]
    for kind, payload in events:
        if kind == state.faults.missing:
            continue
        event = {"type": kind, "run_id": run_id, "user": user, "data": payload}
        targets = list(state.sockets) if state.faults.cross else [ws]
        for target in targets:
            if not target.closed:
                await target.send_json(event)
        await asyncio.sleep(0.02)
        if kind == "agent_started" and state.faults.close_1011:
            await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
            return
