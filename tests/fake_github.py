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
import json
import re
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = "octo/demo"
PERMISSIONS = ("pull-requests", "deployments", "statuses", "checks")
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


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


@dataclass
class _State:
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[int, dict[str, Any]] = field(default_factory=dict)
    deployment_statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    commit_statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    check_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1000


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
        self._state = _State()
        self._faults: list[_Fault] = []
        self._barriers: list[list[Any]] = []  # [method, pattern, barrier, places left]
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
        self, number: int, head_sha: str, *, state: str = "open", fork: bool = False
    ) -> None:
        head_repo = "someone/demo-fork" if fork else self.repository
        with self._lock:
            self._state.pulls[number] = {
                "number": number,
                "state": state,
                "sha": head_sha,
                "head_repo": head_repo,
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

    def add_comment(self, issue: int, body: str, user: str = "someone") -> dict[str, Any]:
        with self._lock:
            return self._create_comment(issue, body, user)

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
            body = {"message": _REASONS.get(status, "fault injected")}
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
        """Hold the first `parties` matching requests until all arrived (forces a race)."""
        with self._lock:
            self._barriers.append(
                [
                    method.upper(),
                    re.compile(path_regex),
                    threading.Barrier(parties, timeout=20),
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
            barrier = self._take_barrier(method, path)
        if barrier is not None:
            barrier.wait()
        with self._lock:
            fault = self._take_fault(method, path)
            if fault is not None and not fault.applied:
                record.status = fault.status
                return fault.status, fault.body, fault.headers
            status, payload, headers = self._route(method, path, query, token, body, base)
            if fault is not None:
                status, payload, headers = fault.status, fault.body, fault.headers
            record.status = status
            return status, payload, headers

    def _take_barrier(self, method: str, path: str) -> threading.Barrier | None:
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
        if token not in self.tokens:
            return 401, {"message": "Bad credentials"}, {}
        prefix = f"/repos/{self.repository}"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}, {}
        rest = path[len(prefix) :]
        for route_method, pattern, permission, fn in _ROUTES:
            match = re.fullmatch(pattern, rest)
            if match and route_method == method:
                if permission and permission not in self.tokens[token]:
                    return 403, {"message": _FORBIDDEN.get(permission, _NO_ACCESS)}, {}
                ctx = _Ctx(self, base, query, body, match.groups())
                return fn(ctx)
        return 404, {"message": "Not Found"}, {}

    def _create_comment(self, issue: int, body: str, user: str) -> dict[str, Any]:
        self._state.next_id += 1
        cid = self._state.next_id
        when = (_EPOCH + timedelta(seconds=cid)).strftime("%Y-%m-%dT%H:%M:%SZ")
        comment = {
            "id": cid,
            "body": body,
            "user": {"login": user, "id": 41898282, "type": "Bot"},
            "created_at": when,
            "updated_at": when,
            "issue": issue,
        }
        self._state.comments.setdefault(issue, []).append(comment)
        return comment


_REASONS = {
    403: "Resource not accessible by integration",
    404: "Not Found",
    429: "API rate limit exceeded",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_NO_ACCESS = "Resource not accessible by integration"
_FORBIDDEN = {
    "checks": "Resource not accessible by integration (checks: write is required; "
    "personal access tokens cannot create check runs)"
}


@dataclass
class _Ctx:
    fake: FakeGitHub
    base: str
    query: dict[str, str]
    body: Any
    args: tuple[str, ...]

    @property
    def state(self) -> _State:
        return self.fake._state

    def repo_url(self) -> str:
        return f"{self.base}/repos/{self.fake.repository}"

    def comment_json(self, c: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.repo_url()}/issues/comments/{c['id']}"
        html = f"https://github.com/{self.fake.repository}/pull/{c['issue']}#issuecomment-{c['id']}"
        return {
            **{k: v for k, v in c.items() if k != "issue"},
            "url": url,
            "html_url": html,
            "issue_url": f"{self.repo_url()}/issues/{c['issue']}",
        }

    def page(self, items: list[Any], path: str) -> tuple[int, Any, dict[str, str]]:
        per_page = max(1, min(100, int(self.query.get("per_page", 30))))
        page = max(1, int(self.query.get("page", 1)))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.base}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, chunk, headers


def _invalid(message: str) -> tuple[int, Any, dict[str, str]]:
    return 422, {"message": "Validation Failed", "errors": [{"message": message}]}, {}


def _find_comment(ctx: _Ctx, cid: int) -> dict[str, Any] | None:
    for comments in ctx.state.comments.values():
        for c in comments:
            if c["id"] == cid:
                return c
    return None


def _list_comments(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    issue = int(ctx.args[0])
    if issue not in ctx.state.pulls:
        return 404, {"message": "Not Found"}, {}
    items = [ctx.comment_json(c) for c in ctx.state.comments.get(issue, [])]
    return ctx.page(items, f"/repos/{ctx.fake.repository}/issues/{issue}/comments")


def _post_comment(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    issue = int(ctx.args[0])
    if issue not in ctx.state.pulls:
        return 404, {"message": "Not Found"}, {}
    body = (ctx.body or {}).get("body")
    if not isinstance(body, str) or not body:
        return _invalid("body is missing")
    if len(body) > 65536:
        return _invalid("Body is too long (maximum is 65536 characters)")
    return 201, ctx.comment_json(ctx.fake._create_comment(issue, body, "github-actions[bot]")), {}


def _comment_by_id(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    c = _find_comment(ctx, int(ctx.args[0]))
    return (200, ctx.comment_json(c), {}) if c else (404, {"message": "Not Found"}, {})


def _edit_comment(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    c = _find_comment(ctx, int(ctx.args[0]))
    if c is None:
        return 404, {"message": "Not Found"}, {}
    body = (ctx.body or {}).get("body")
    if not isinstance(body, str) or len(body) > 65536:
        return _invalid("body is missing or too long (maximum is 65536 characters)")
    c["body"] = body
    c["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return 200, ctx.comment_json(c), {}


def _delete_comment(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    c = _find_comment(ctx, int(ctx.args[0]))
    if c is None:
        return 404, {"message": "Not Found"}, {}
    ctx.state.comments[c["issue"]].remove(c)
    return 204, None, {}


def _pull_json(ctx: _Ctx, p: dict[str, Any]) -> dict[str, Any]:
    repo = ctx.fake.repository
    return {
        "number": p["number"],
        "state": p["state"],
        "url": f"{ctx.repo_url()}/pulls/{p['number']}",
        "html_url": f"https://github.com/{repo}/pull/{p['number']}",
        "head": {"sha": p["sha"], "ref": "feature", "repo": {"full_name": p["head_repo"]}},
        "base": {"sha": "0" * 40, "ref": "main", "repo": {"full_name": repo}},
    }


def _commit_pulls(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    sha = ctx.args[0]
    return 200, [_pull_json(ctx, p) for p in ctx.state.pulls.values() if p["sha"] == sha], {}


def _description_ok(body: dict[str, Any]) -> bool:
    return len(str(body.get("description") or "")) <= 140


def _post_deployment_status(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    did = int(ctx.args[0])
    if did not in ctx.state.deployments:
        return 404, {"message": "Not Found"}, {}
    body = ctx.body or {}
    if body.get("state") not in {
        "error",
        "failure",
        "inactive",
        "in_progress",
        "queued",
        "pending",
        "success",
    }:
        return _invalid(f"state is not included in the list: {body.get('state')!r}")
    if not _description_ok(body):
        return _invalid("description is too long (maximum is 140 characters)")
    ctx.state.next_id += 1
    status = {
        "id": ctx.state.next_id,
        **body,
        "url": f"{ctx.repo_url()}/deployments/{did}/statuses/{ctx.state.next_id}",
    }
    ctx.state.deployment_statuses[did].insert(0, status)  # newest first, like GitHub
    return 201, status, {}


def _list_deployment_statuses(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    did = int(ctx.args[0])
    if did not in ctx.state.deployments:
        return 404, {"message": "Not Found"}, {}
    return 200, ctx.state.deployment_statuses[did], {}


def _post_commit_status(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    body = ctx.body or {}
    if body.get("state") not in {"error", "failure", "pending", "success"}:
        return _invalid(f"state is not included in the list: {body.get('state')!r}")
    if not _description_ok(body):
        return _invalid("description is too long (maximum is 140 characters)")
    ctx.state.next_id += 1
    status = {"id": ctx.state.next_id, "context": "default", **body}
    ctx.state.commit_statuses.setdefault(ctx.args[0], []).insert(0, status)
    return 201, status, {}


def _list_commit_statuses(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    return 200, ctx.state.commit_statuses.get(ctx.args[0], []), {}


def _check_output_ok(output: Any) -> str | None:
    if output is None:
        return None
    if not isinstance(output, dict) or not output.get("title") or not output.get("summary"):
        return "output needs title and summary"
    if len(output["summary"]) > 65535 or len(output.get("text") or "") > 65535:
        return "output summary/text is too long (maximum is 65535 characters)"
    if len(output.get("annotations") or []) > 50:
        return "Only 50 annotations are allowed per request"
    return None


def _check_json(ctx: _Ctx, run: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in run.items() if k != "annotations"},
        "url": f"{ctx.repo_url()}/check-runs/{run['id']}",
        "html_url": f"https://github.com/{ctx.fake.repository}/runs/{run['id']}",
    }


def _create_check_run(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    body = json.loads(json.dumps(ctx.body or {}))  # a copy: the recorded request stays whole
    problem = _check_output_ok(body.get("output"))
    if problem or not body.get("name") or not body.get("head_sha"):
        return _invalid(problem or "name and head_sha are required")
    ctx.state.next_id += 1
    annotations = list((body.get("output") or {}).pop("annotations", None) or [])
    run = {"id": ctx.state.next_id, **body, "annotations": annotations}
    ctx.state.check_runs[run["id"]] = run
    return 201, _check_json(ctx, run), {}


def _update_check_run(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    run = ctx.state.check_runs.get(int(ctx.args[0]))
    if run is None:
        return 404, {"message": "Not Found"}, {}
    body = json.loads(json.dumps(ctx.body or {}))
    problem = _check_output_ok(body.get("output"))
    if problem:
        return _invalid(problem)
    if "output" in body:
        output = dict(body.pop("output"))
        run["annotations"].extend(output.pop("annotations", None) or [])
        run["output"] = output
    run.update(body)
    return 200, _check_json(ctx, run), {}


def _list_check_runs(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    name = ctx.query.get("check_name")
    runs = [
        _check_json(ctx, r)
        for r in ctx.state.check_runs.values()
        if r["head_sha"] == ctx.args[0] and (name is None or r["name"] == name)
    ]
    return 200, {"total_count": len(runs), "check_runs": runs}, {}


def _get_deployment(ctx: _Ctx) -> tuple[int, Any, dict[str, str]]:
    d = ctx.state.deployments.get(int(ctx.args[0]))
    return (
        (200, {**d, "url": f"{ctx.repo_url()}/deployments/{d['id']}"}, {})
        if d
        else (404, {"message": "Not Found"}, {})
    )


_ROUTES: list[tuple[str, str, str | None, Any]] = [
    ("GET", r"/issues/(\d+)/comments", None, _list_comments),
    ("POST", r"/issues/(\d+)/comments", "pull-requests", _post_comment),
    ("GET", r"/issues/comments/(\d+)", None, _comment_by_id),
    ("PATCH", r"/issues/comments/(\d+)", "pull-requests", _edit_comment),
    ("DELETE", r"/issues/comments/(\d+)", "pull-requests", _delete_comment),
    ("GET", r"/commits/([0-9A-Za-z]+)/pulls", None, _commit_pulls),
    ("GET", r"/deployments/(\d+)", None, _get_deployment),
    ("GET", r"/deployments/(\d+)/statuses", None, _list_deployment_statuses),
    ("POST", r"/deployments/(\d+)/statuses", "deployments", _post_deployment_status),
    ("POST", r"/statuses/([0-9A-Za-z]+)", "statuses", _post_commit_status),
    ("GET", r"/commits/([0-9A-Za-z]+)/statuses", None, _list_commit_statuses),
    ("POST", r"/check-runs", "checks", _create_check_run),
    ("PATCH", r"/check-runs/(\d+)", "checks", _update_check_run),
    ("GET", r"/commits/([0-9A-Za-z]+)/check-runs", None, _list_check_runs),
]


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
            status, payload, headers = fake.handle(self.command, self.path, token, body, base)
            self._send(status, payload, headers)

        def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            data = b"" if payload is None or status == 204 else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
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
    args = parser.parse_args(argv)
    fake = FakeGitHub(args.repository, port=args.port)
    for spec in args.pull:
        number, sha = spec.split(":", 1)
        fake.add_pull(int(number), sha)
    for spec in args.deployment:
        parts = spec.split(":")
        fake.add_deployment(int(parts[0]), parts[1], *(parts[2:3]))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with fake:
        print(f"listening on {fake.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
