"""A small job + agent service (aiohttp) for the flow and WebSocket tests, with switchable faults.

It follows the demo service's API (docs/demo.md) closely enough for flows, but is independent of it
so the check modules' tests do not depend on another engineer's code: time-based job states,
batches, and an agent socket streaming the five events, with faults turned on per instance.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

TOKENS = {"tok-alice-0001": "alice", "tok-bob-0002": "bob"}
PASSWORDS = {"alice": "pw-alice", "bob": "pw-bob", "carol": "pw-carol"}
RATE_LIMIT = 5  # /api/limited answers 429 after this many requests within one second
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
    no_rate_limit: bool = False  # /api/limited never limits
    no_retry_after: bool = False  # its 429 has no Retry-After header
    queued_s: float = 0.3
    running_s: float = 0.4


@dataclass
class State:
    faults: Faults
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=lambda: dict(TOKENS))
    logins: list[str] = field(default_factory=list)  # users who logged in, in order
    runs: dict[str, tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    hits: list[float] = field(default_factory=list)  # /api/limited request times
    created: list[float] = field(default_factory=list)  # job creation times


STATE = web.AppKey("state", State)


def _user(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
    token = token or request.query.get("token")
    return request.app[STATE].tokens.get(token or "")


def user_id(user: str) -> str:
    return f"uid-{user}"


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
    app[STATE] = state

    async def login(request: web.Request) -> web.Response:
        body = await request.json()
        user = body.get("username", "")
        if PASSWORDS.get(user) != body.get("password"):
            return web.json_response({"error": "invalid credentials"}, status=401)
        token = f"sess-{secrets.token_hex(12)}"
        state.tokens[token] = user
        state.logins.append(user)
        return web.json_response(
            {"access_token": token, "user_id": user_id(user), "token_type": "bearer"}
        )

    async def echo_auth(request: web.Request) -> web.Response:
        """Answers the caller's credentials back (a debugging endpoint gone wrong)."""
        return web.json_response(
            {"user": _user(request), "seen": request.headers.get("Authorization", "")}
        )

    async def limited(request: web.Request) -> web.Response:
        now = time.monotonic()
        state.hits = [t for t in state.hits if now - t < 1.0] + [now]
        if len(state.hits) > RATE_LIMIT and not state.faults.no_rate_limit:
            headers = {} if state.faults.no_retry_after else {"Retry-After": "1"}
            return web.json_response({"error": "slow down"}, status=429, headers=headers)
        return web.json_response({"ok": True})

    async def list_jobs(request: web.Request) -> web.Response:
        jobs = [{"id": job_id, "status": _status(state, job)} for job_id, job in state.jobs.items()]
        return web.json_response({"jobs": jobs})

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
        state.jobs[job_id] = {"created": time.monotonic(), "fail": fail, "number": number}
        state.created.append(time.monotonic())
        return web.json_response(
            {"id": job_id, "number": number, "status": "queued"},
            status=201,
            headers={"Location": f"/api/jobs/{job_id}"},
        )

    async def get_job(request: web.Request) -> web.Response:
        job = state.jobs.get(request.match_info["id"])
        if job is None:
            return web.json_response({"error": "no such job"}, status=404)
        job["last_polled"] = time.monotonic()  # tests order flows by what the server saw
        status = _status(state, job)
        code = None if status in ("queued", "running") else (1 if job["fail"] else 0)
        keys = [str(job.get("number", ""))]  # the key as a string, as some APIs answer it
        return web.json_response(
            {"id": request.match_info["id"], "status": status, "exit_code": code, "keys": keys},
            headers={"X-Job-Id": request.match_info["id"]},
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
                if data.get("type") == "resume" and not state.faults.silent:
                    await _resume(state, ws, user, str(data.get("run_id")))
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

    app.router.add_post("/auth/token", login)
    app.router.add_get("/api/echo-auth", echo_auth)
    app.router.add_get("/api/limited", limited)
    app.router.add_get("/api/jobs", list_jobs)
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
    history: list[dict[str, Any]] = []
    state.runs[run_id] = (user, history)
    for kind, payload in events:
        if kind == state.faults.missing:
            continue
        event = {"type": kind, "run_id": run_id, "user": user, "user_id": user_id(user)}
        event["data"] = payload
        history.append(event)
        targets = list(state.sockets) if state.faults.cross else [ws]
        for target in targets:
            if not target.closed:
                await target.send_json(event)
        await asyncio.sleep(0.02)
        if kind == "agent_started" and state.faults.close_1011:
            await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
            return


async def _resume(state: State, ws: web.WebSocketResponse, user: str, run_id: str) -> None:
    """A reconnected client asks for a run's events again (only its own runs)."""
    owner, history = state.runs.get(run_id, ("", []))
    if owner != user:
        await ws.send_json({"type": "error", "data": {"message": f"no run {run_id}"}})
        return
    for event in history:
        await ws.send_json({**event, "replayed": True})
