"""The bundled demo service: `python -m gate.demo.service --port 0 --token T [--fault NAME]`.

A small job-execution platform with an agent WebSocket, modelled on the services the seed
reports were written about, so that `gate demo` has something real to gate. It prints
`listening on http://127.0.0.1:PORT` once it accepts connections, and stops on SIGTERM/SIGINT.
API and faults: README "The demo"; faults: `gate.demo.faults`.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import secrets
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from gate import __version__
from gate.demo.agents import AgentHub, user_id
from gate.demo.faults import FAULTS, SLOW_DELAY_S
from gate.demo.jobs import InvalidRequest, Job, JobStore, parse_job

USER_NAMES = ("alice", "bob", "carol", "dave", "erin")
CORS_ORIGINS = ("http://localhost:3000", "https://app.example.com")
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USERS = web.AppKey("users", dict[str, str])
FAULT = web.AppKey("fault", str)
JOBS = web.AppKey("jobs", JobStore)
HUB = web.AppKey("hub", AgentHub)
SESSIONS = web.AppKey("sessions", dict[str, str])
SEARCHES = web.AppKey("searches", dict[str, list[float]])
SEARCH_LIMIT = 10  # /api/search answers 429 after this many requests of a user within 1 s


def create_app(
    users: dict[str, str], fault: str | None = None, queue_s: float = 0.5
) -> web.Application:
    """The application; `users` maps token -> user name."""
    app = web.Application(middlewares=[_slow, _headers, _json_errors])
    app[USERS] = dict(users)
    app[SESSIONS] = {}  # session token (from /auth/token) -> user name
    app[SEARCHES] = {}
    app[FAULT] = fault or ""
    app[JOBS] = JobStore(queue_s=queue_s, stuck=fault == "stuck")
    skip = frozenset({"tool_completed"}) if fault == "missing-event" else frozenset()
    app[HUB] = AgentHub(skip=skip, leak=fault == "event-leak")
    app.on_shutdown.append(_close_hub)
    app.router.add_get("/health", health)
    app.router.add_post("/auth/token", login)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/search", search)
    app.router.add_get("/api/jobs", list_jobs)
    app.router.add_post("/api/jobs", create_job)
    app.router.add_get("/api/jobs/{id}", get_job)
    app.router.add_get("/api/jobs/{id}/artifacts", list_artifacts)
    app.router.add_get("/api/jobs/{id}/artifacts/{name}", get_artifact)
    app.router.add_post("/api/jobs/{id}/retry", retry_job)
    app.router.add_post("/api/batches", create_batch)
    app.router.add_get("/api/batches/{id}", get_batch)
    app.router.add_get("/ws/agent", agent_socket)
    return app


async def _close_hub(app: web.Application) -> None:
    await app[HUB].close()


# --- middleware: faults, headers, JSON errors ---------------------------------------------


@web.middleware
async def _slow(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.app[FAULT] == "slow":
        await asyncio.sleep(SLOW_DELAY_S)
    return await handler(request)


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response: web.StreamResponse = _preflight(request)
    else:
        response = await handler(request)
    if not response.prepared:  # a WebSocket response has sent its headers already
        response.headers.update(SECURITY_HEADERS)
        origin = request.headers.get("Origin")
        if origin in CORS_ORIGINS:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
    return response


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own 404/405 pages are text; an API answers JSON."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, f"{request.method} {request.path}: {exc.reason}")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _preflight(request: web.Request) -> web.Response:
    """CORS preflight for any path: allowed origins get the methods and headers the API uses."""
    origin = request.headers.get("Origin", "")
    if origin not in CORS_ORIGINS:
        return _error(403, f"origin {origin!r} is not allowed")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


# --- auth ---------------------------------------------------------------------------------


def _user(request: web.Request, *, query: bool = False) -> str | None:
    """The user of the request's bearer token (or `?token=` for sockets), None when invalid."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        token = request.query.get("token", "") if query else ""
    for known, user in request.app[USERS].items():
        if token and hmac.compare_digest(token.strip().encode(), known.encode()):
            return user
    return request.app[SESSIONS].get(token.strip()) if token else None


def _unauthorized() -> web.Response:
    return _error(401, "missing or invalid bearer token")


def _authed(handler: Callable[[web.Request, str], Awaitable[web.Response]]) -> Handler:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        user = _user(request)
        if user is None:
            return _unauthorized()
        return await handler(request, user)

    return wrapper


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"body is not valid JSON: {exc}") from None


# --- handlers -----------------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    agents = request.app[FAULT] != "skipped-tests"
    features = {"agents": agents, "jobs": True, "batches": True, "artifacts": True}
    return web.json_response({"status": "ok", "version": __version__, "features": features})


async def login(request: web.Request) -> web.Response:
    """`{"username": NAME, "password": SECRET}` -> a fresh session token and the user's id.

    A user's password is the token the service was started with for them (`--token`,
    `--user NAME=TOKEN`): the demo exchanges a long-lived key for a session, as many APIs do.
    """
    try:
        body = await _json_body(request)
    except InvalidRequest as exc:
        return _error(400, str(exc))
    name = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(name, str) or not isinstance(password, str):
        return _error(400, 'expected {"username": "...", "password": "..."}')
    valid = [
        user
        for known, user in request.app[USERS].items()
        if hmac.compare_digest(password.encode(), known.encode()) and user == name
    ]
    if not valid:
        return _error(401, "invalid username or password")
    token = f"sess-{secrets.token_urlsafe(24)}"
    request.app[SESSIONS][token] = name
    return web.json_response(
        {"access_token": token, "token_type": "bearer", "user_id": user_id(name), "user": name}
    )


@_authed
async def search(request: web.Request, user: str) -> web.Response:
    """A rate-limited endpoint: more than SEARCH_LIMIT requests per second get 429."""
    now = time.monotonic()
    recent = [t for t in request.app[SEARCHES].get(user, []) if now - t < 1.0] + [now]
    request.app[SEARCHES][user] = recent
    if len(recent) > SEARCH_LIMIT:
        return web.json_response(
            {"error": f"rate limit: {SEARCH_LIMIT} searches per second"},
            status=429,
            headers={"Retry-After": "1"},
        )
    query = request.query.get("q", "")
    return web.json_response({"query": query, "hits": [f"{query} result {n}" for n in (1, 2, 3)]})


async def me(request: web.Request) -> web.Response:
    user = _user(request)
    if user is None and request.app[FAULT] == "bad-auth":
        return web.json_response({"user": "anonymous"})
    if user is None:
        return _unauthorized()
    return web.json_response({"user": user})


def _jobs_fault(request: web.Request) -> web.Response | None:
    if request.app[FAULT] == "http500":
        return _error(500, "internal server error")
    return None


def _job_or_404(request: web.Request, user: str) -> Job:
    job = request.app[JOBS].get(user, request.match_info["id"])
    if job is None:
        raise web.HTTPNotFound(reason=f"job {request.match_info['id']!r} not found")
    return job


@_authed
async def list_jobs(request: web.Request, user: str) -> web.Response:
    store = request.app[JOBS]
    return _jobs_fault(request) or web.json_response(
        {"jobs": [store.to_json(job) for job in store.for_user(user)]}
    )


@_authed
async def create_job(request: web.Request, user: str) -> web.Response:
    if failed := _jobs_fault(request):
        return failed
    try:
        spec = parse_job(await _json_body(request))
    except InvalidRequest as exc:
        return _error(400, str(exc))
    store = request.app[JOBS]
    return web.json_response(store.to_json(store.create(user, spec)), status=201)


@_authed
async def get_job(request: web.Request, user: str) -> web.Response:
    if failed := _jobs_fault(request):
        return failed
    return web.json_response(request.app[JOBS].to_json(_job_or_404(request, user)))


@_authed
async def list_artifacts(request: web.Request, user: str) -> web.Response:
    if failed := _jobs_fault(request):
        return failed
    found = request.app[JOBS].artifacts(_job_or_404(request, user))
    listed = [{"name": name, "size": len(text.encode())} for name, text in found.items()]
    return web.json_response({"artifacts": listed})


@_authed
async def get_artifact(request: web.Request, user: str) -> web.Response:
    if failed := _jobs_fault(request):
        return failed
    found = request.app[JOBS].artifacts(_job_or_404(request, user))
    name = request.match_info["name"]
    if name not in found:
        return _error(404, f"artifact {name!r} not found (the job may not have finished)")
    return web.Response(text=found[name], content_type="text/plain")


@_authed
async def retry_job(request: web.Request, user: str) -> web.Response:
    if failed := _jobs_fault(request):
        return failed
    store = request.app[JOBS]
    job = _job_or_404(request, user)
    if store.status(job) not in ("completed", "failed"):
        return _error(409, f"job {job.id} has not finished; retry it when it has")
    return web.json_response(
        store.to_json(store.create(user, job.spec, retry_of=job.id)), status=201
    )


@_authed
async def create_batch(request: web.Request, user: str) -> web.Response:
    store = request.app[JOBS]
    try:
        batch_id, jobs = store.create_batch(user, await _json_body(request))
    except InvalidRequest as exc:
        return _error(400, str(exc))
    return web.json_response({"batch_id": batch_id, "job_ids": [j.id for j in jobs]}, status=201)


@_authed
async def get_batch(request: web.Request, user: str) -> web.Response:
    store = request.app[JOBS]
    batch_id = request.match_info["id"]
    jobs = store.batch(user, batch_id)
    if jobs is None:
        return _error(404, f"batch {batch_id!r} not found")
    listed = [{"id": job.id, "status": store.status(job)} for job in jobs]
    counts: dict[str, int] = {}
    for item in listed:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    return web.json_response({"batch_id": batch_id, "jobs": listed, "counts": counts})


async def agent_socket(request: web.Request) -> web.StreamResponse:
    user = _user(request, query=True)
    if user is None:
        return _unauthorized()
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    hub = request.app[HUB]
    hub.join(user, ws)
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            if request.app[FAULT] == "ws1011":
                await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
                break
            await _on_message(ws, hub, user, msg.data)
    finally:
        hub.leave(user, ws)
    return ws


async def _on_message(ws: web.WebSocketResponse, hub: AgentHub, user: str, text: str) -> None:
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        message = None
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "ping":
        await ws.send_json({"type": "pong", "user": user})
    elif kind == "run" and isinstance(message, dict) and isinstance(message.get("prompt"), str):
        hub.start(user, message["prompt"])
    elif kind == "resume" and isinstance(message, dict):
        history = hub.history(user, str(message.get("run_id")))
        if history is None:
            error = f"no run {str(message.get('run_id'))[:80]!r} of yours to resume"
            await ws.send_json({"type": "error", "data": {"message": error}})
        for event in history or []:
            await ws.send_json({**event, "replayed": True})
    else:
        error = (
            'expected {"type": "run", "prompt": "..."}, {"type": "resume", "run_id": "..."} '
            'or {"type": "ping"}'
        )
        await ws.send_json({"type": "error", "data": {"message": error}})


# --- process ------------------------------------------------------------------------------


def parse_users(tokens: Sequence[str], named: Sequence[str]) -> dict[str, str]:
    """token -> user: `--token T` gets alice, bob, ... in order; `--user NAME=T` names its own."""
    users: dict[str, str] = {}
    for index, token in enumerate(tokens):
        users[token] = USER_NAMES[index] if index < len(USER_NAMES) else f"user{index + 1}"
    for item in named:
        name, sep, token = item.partition("=")
        if not sep or not name or not token:
            raise SystemExit(f"--user expects NAME=TOKEN, found {item!r}")
        users[token] = name
    if not users:
        raise SystemExit("give at least one --token (or --user NAME=TOKEN)")
    return users


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m gate.demo.service", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", action="append", default=[], help="a valid bearer token")
    parser.add_argument("--user", action="append", default=[], help="NAME=TOKEN")
    choices = [name for name in FAULTS if name != "down"]  # `down` is simulated by launch()
    parser.add_argument("--fault", choices=choices)
    parser.add_argument("--queue-s", type=float, default=0.5, help="time a job stays queued")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    app = create_app(parse_users(args.token, args.user), args.fault, args.queue_s)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    await web.SockSite(runner, sock, shutdown_timeout=1.0).start()
    host, port = sock.getsockname()[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
