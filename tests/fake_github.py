"""A stateful fake of the GitHub REST endpoints deploy-gate publishes to: real HTTP on loopback.

Used through PyGithub exactly as in production (`GITHUB_API_URL` / `base_url` = `fake.url`).
It keeps what was posted (comments per issue, deployment statuses, commit statuses, check runs
with their annotations), enforces GitHub's limits (comment 65,536; status description 140;
check-run output 65,535; 50 annotations per request) and token permissions, and injects faults.

    with FakeGitHub() as gh:
        gh.add_pull(7, head_sha="abc123")
        gh.fail_next("POST", r"/issues/7/comments$", 500, applied=True)  # created, then 500
        ...  # publish with GITHUB_API_URL=gh.url, GITHUB_TOKEN=FakeGitHub.WRITE_TOKEN
        assert len(gh.comments(7)) == 1
        assert gh.count("POST", r"/issues/7/comments$") == 2

Command line (for workflow runs, e.g. under `act`):
    python tests/fake_github.py --port 0 --pull 7:abc123 --deployment 42:abc123:staging
prints `listening on http://127.0.0.1:PORT`; `GET /_fake/state` returns the recorded state.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import signal
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

try:
    from fake_github_routes import FORBIDDEN, NO_ACCESS, REASONS, ROUTES, Ctx, State, create_comment
except ModuleNotFoundError:  # imported as `tests.fake_github` (python -m tests.fake_github)
    from tests.fake_github_routes import (
        FORBIDDEN,
        NO_ACCESS,
        REASONS,
        ROUTES,
        Ctx,
        State,
        create_comment,
    )

REPO = "octo/demo"
PERMISSIONS = ("pull-requests", "deployments", "statuses", "checks")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class _Fault:
    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: Any
    times: int
    applied: bool


class FakeGitHub:
    WRITE_TOKEN = "fake-actions-token-write"  # Actions GITHUB_TOKEN with every write permission
    READ_TOKEN = "fake-actions-token-read"  # a fork PR's token: reads only
    PAT_TOKEN = "fake-personal-token"  # writes, but no check runs (GitHub App tokens only)

    def __init__(self, repository: str = REPO, host: str = "127.0.0.1", port: int = 0) -> None:
        self.repository = repository
        self.tokens: dict[str, set[str]] = {
            self.WRITE_TOKEN: set(PERMISSIONS),
            self.READ_TOKEN: set(),
            self.PAT_TOKEN: {"pull-requests", "deployments", "statuses"},
        }
        self.requests: list[Recorded] = []
        self.errors: list[str] = []  # exceptions inside the fake (its own bugs)
        self._state = State()
        self._faults: list[_Fault] = []
        self._barriers: list[list[Any]] = []
        self._hooks: list[
            list[Any]
        ] = []  # [method, pattern, action]  # [method, pattern, barrier, places left]
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGitHub:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- seeding and faults ------------------------------------------------------------------
    def add_pull(
        self,
        number: int,
        head_sha: str,
        *,
        state: str = "open",
        fork: bool = False,
        head_ref: str = "feature",
    ) -> None:
        head_repo = "someone/demo-fork" if fork else self.repository
        with self._lock:
            self._state.pulls[number] = {
                "number": number,
                "state": state,
                "sha": head_sha,
                "head_repo": head_repo,
                "head_ref": head_ref,
            }
            self._state.comments.setdefault(number, [])

    def add_deployment(self, deployment_id: int, sha: str, environment: str = "staging") -> None:
        with self._lock:
            self._state.deployments[deployment_id] = {
                "id": deployment_id,
                "sha": sha,
                "environment": environment,
            }
            self._state.deployment_statuses.setdefault(deployment_id, [])

    def add_artifact(
        self,
        name: str,
        files: dict[str, bytes],
        *,
        expired: bool = False,
        age_s: int = 0,
        head_sha: str = "abc123",
        run_id: int = 77,
    ) -> int:
        """An Actions artifact holding `files` (zipped like GitHub serves it); `age_s` before
        now is its creation time (the newest is listed first). Returns its id."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in files.items():
                archive.writestr(path, data)
        created = datetime.now(UTC) - timedelta(seconds=age_s)
        with self._lock:
            self._state.next_id += 1
            aid = self._state.next_id
            self._state.artifacts[aid] = {
                "id": aid,
                "name": name,
                "expired": expired,
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "expires_at": (created + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "workflow_run": {"id": run_id, "head_sha": head_sha},
                "zip": buffer.getvalue(),
            }
            return aid

    def add_deployment_status(
        self, deployment_id: int, state: str, environment_url: str | None = None
    ) -> None:
        """A status someone else posted (the deploy job), newest first as GitHub lists them."""
        with self._lock:
            self._state.next_id += 1
            status = {"id": self._state.next_id, "state": state, "description": "deployed"}
            if environment_url:
                status["environment_url"] = environment_url
            self._state.deployment_statuses[deployment_id].insert(0, status)

    def add_commit(self, sha: str) -> None:
        """A commit that exists but has no status yet (unknown shas answer 422)."""
        with self._lock:
            self._state.commits.add(sha)

    def add_commit_status(self, sha: str, context: str, state: str) -> None:
        with self._lock:
            self._state.next_id += 1
            status = {"id": self._state.next_id, "context": context, "state": state}
            self._state.commit_statuses.setdefault(sha, []).insert(0, status)

    def add_comment(self, issue: int, body: str, user: str = "someone") -> dict[str, Any]:
        with self._lock:
            return create_comment(self._state, issue, body, user)

    def delete_comment(self, comment_id: int) -> None:
        with self._lock:
            for comments in self._state.comments.values():
                comments[:] = [c for c in comments if c["id"] != comment_id]

    def after_next(
        self, method: str, path_regex: str, action: Callable[[FakeGitHub, Any], None]
    ) -> None:
        """Right after the next matching request is applied, run `action(fake, answer)`:
        what a concurrent run did in between (deterministic races)."""
        with self._lock:
            self._hooks.append([method.upper(), re.compile(path_regex), action])

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
        applied: bool = False,
    ) -> None:
        """The next `times` matching requests answer `status`; `applied`: after taking effect."""
        if body is None:
            body = {"message": REASONS.get(status, "fault injected")}
        with self._lock:
            self._faults.append(
                _Fault(
                    method.upper(),
                    re.compile(path_regex),
                    status,
                    dict(headers or {}),
                    body,
                    times,
                    applied,
                )
            )

    def secondary_rate_limit(
        self, method: str, path_regex: str, *, retry_after: int | None = 1, times: int = 1
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.fail_next(
            method,
            path_regex,
            403,
            headers=headers,
            times=times,
            body={
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again."
            },
        )

    def barrier(self, method: str, path_regex: str, parties: int = 2) -> None:
        """Hold the first `parties` matching requests until all arrived, and answer them all
        from the state they arrived to (forces a race).

        Releasing them together is not enough: under load one handler thread could answer,
        its client act on the answer (a POST), and only then the other handler read the state,
        which no longer was the one both requests saw. So each answer is computed, then held
        until every party has computed its own.
        """
        with self._lock:
            self._barriers.append(
                [
                    method.upper(),
                    re.compile(path_regex),
                    (
                        threading.Barrier(parties, timeout=20),
                        threading.Barrier(parties, timeout=20),
                    ),
                    parties,
                ]
            )

    # -- recorded state ----------------------------------------------------------------------
    def comments(self, issue: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._state.comments.get(issue, [])]

    def deployment_statuses(self, deployment_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for s in self._state.deployment_statuses.get(deployment_id, [])]

    def commit_statuses(self, sha: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for s in self._state.commit_statuses.get(sha, [])]

    def check_runs(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(json.dumps(r)) for r in self._state.check_runs.values()]

    def calls(self, method: str, path_regex: str) -> list[Recorded]:
        pattern = re.compile(path_regex)
        with self._lock:
            return [
                r for r in self.requests if r.method == method.upper() and pattern.search(r.path)
            ]

    def count(self, method: str, path_regex: str) -> int:
        return len(self.calls(method, path_regex))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "comments": {str(k): v for k, v in self._state.comments.items()},
                "deployment_statuses": {
                    str(k): v for k, v in self._state.deployment_statuses.items()
                },
                "commit_statuses": self._state.commit_statuses,
                "check_runs": list(self._state.check_runs.values()),
                "requests": [r.__dict__ for r in self.requests],
            }

    # -- request handling --------------------------------------------------------------------
    def handle(
        self, method: str, target: str, token: str | None, body: Any, base: str
    ) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(target)
        path, query = split.path, {k: v[-1] for k, v in parse_qs(split.query).items()}
        record = Recorded(method, path, query, body)
        with self._lock:
            self.requests.append(record)
            barriers = self._take_barrier(method, path)
        if barriers is not None:
            barriers[0].wait()  # all arrived
        answer = self._answer(record, method, path, query, token, body, base)
        if barriers is not None:
            barriers[1].wait()  # all answered from the state they arrived to
        return answer

    def _answer(
        self,
        record: Recorded,
        method: str,
        path: str,
        query: dict[str, str],
        token: str | None,
        body: Any,
        base: str,
    ) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            fault = self._take_fault(method, path)
            if fault is not None and not fault.applied:
                record.status = fault.status
                return fault.status, fault.body, fault.headers
            status, payload, headers = self._route(method, path, query, token, body, base)
            hook = self._take_hook(method, path)
            if hook is not None:  # what a concurrent actor did right after this request
                hook(self, payload)
            if fault is not None:
                status, payload, headers = fault.status, fault.body, fault.headers
            record.status = status
            return status, payload, headers

    def _take_hook(self, method: str, path: str) -> Callable[[FakeGitHub, Any], None] | None:
        for entry in self._hooks:
            if entry[0] == method and entry[1].search(path):
                self._hooks.remove(entry)
                return entry[2]  # type: ignore[no-any-return]
        return None

    def _take_barrier(
        self, method: str, path: str
    ) -> tuple[threading.Barrier, threading.Barrier] | None:
        for entry in self._barriers:
            m, pattern, barrier, _left = entry
            if m == method and pattern.search(path):
                entry[3] -= 1
                if entry[3] <= 0:
                    self._barriers.remove(entry)
                return barrier  # type: ignore[no-any-return]
        return None

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.path.search(path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _route(
        self, method: str, path: str, query: dict[str, str], token: str | None, body: Any, base: str
    ) -> tuple[int, Any, dict[str, str]]:
        if path == "/_fake/state":
            return 200, self.snapshot(), {}
        blob = re.fullmatch(r"/_fake/blobs/(\d+)", path)
        if blob:  # a pre-signed storage URL: no token, and none must be sent there
            if token is not None:
                return 400, {"message": "storage URL requested with a GitHub token"}, {}
            artifact = self._state.artifacts.get(int(blob.group(1)))
            return (200, artifact["zip"], {}) if artifact else (404, {"message": "Not Found"}, {})
        if token not in self.tokens:
            return 401, {"message": "Bad credentials"}, {}
        prefix = f"/repos/{self.repository}"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}, {}
        rest = path[len(prefix) :]
        for route_method, pattern, permission, fn in ROUTES:
            match = re.fullmatch(pattern, rest)
            if match and route_method == method:
                if permission and permission not in self.tokens[token]:
                    return 403, {"message": FORBIDDEN.get(permission, NO_ACCESS)}, {}
                ctx = Ctx(self._state, self.repository, base, query, body, match.groups())
                return fn(ctx)
        return 404, {"message": "Not Found"}, {}


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._send(400, {"message": "Problems parsing JSON"}, {})
                return
            auth = self.headers.get("Authorization") or ""
            token = auth.split(" ", 1)[1] if " " in auth else None
            base = f"http://{self.headers.get('Host') or fake.url.split('//', 1)[1]}"
            try:
                status, payload, headers = fake.handle(self.command, self.path, token, body, base)
            except Exception as exc:  # a bug in the fake: answer, and let the fixture fail
                fake.errors.append(f"{self.command} {self.path}: {type(exc).__name__}: {exc}")
                status, payload, headers = 599, {"message": f"fake GitHub bug: {exc}"}, {}
            self._send(status, payload, headers)

        def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            raw = isinstance(payload, bytes)  # an artifact's zip
            if raw:
                data = payload
            else:
                data = b"" if payload is None or status == 204 else json.dumps(payload).encode()
            self.send_response(status)
            kind = "application/zip" if raw else "application/json; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--repository", default=REPO)
    parser.add_argument("--pull", action="append", default=[], help="NUMBER:HEAD_SHA")
    parser.add_argument("--deployment", action="append", default=[], help="ID:SHA[:ENVIRONMENT]")
    parser.add_argument(
        "--artifact", action="append", default=[], help="NAME:FOLDER[:expired] (zipped as served)"
    )
    parser.add_argument(
        "--status", action="append", default=[], help="SHA:CONTEXT:STATE (a commit status)"
    )
    args = parser.parse_args(argv)
    fake = FakeGitHub(args.repository, port=args.port)
    for spec in args.pull:
        number, sha = spec.split(":", 1)
        fake.add_pull(int(number), sha)
    for spec in args.deployment:
        parts = spec.split(":")
        fake.add_deployment(int(parts[0]), parts[1], *(parts[2:3]))
    for spec in args.artifact:
        name, folder, *flags = spec.split(":")
        root = Path(folder)
        files = {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }
        fake.add_artifact(name, files, expired="expired" in flags)
    for spec in args.status:
        sha, context, state = spec.rsplit(":", 2)
        fake.add_commit_status(sha, context, state)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with fake:
        print(f"listening on {fake.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
