"""Contract: every request the publisher sends is a valid operation of GitHub's official API.

Prism (`prism mock --errors`) serves `@octokit/openapi`'s `api.github.com.json`; with `--errors`
it answers a request that matches no operation, or whose parameters or body violate the schema,
with 4xx and an `sl-violations` header. It serves the operations of the areas of the API the
gate talks to (`AREAS`), taken unchanged from the official description with every component
they reference, when the test starts: Prism starts in about 2.5 s on that instead of 10 s on
the whole 13 MB file (measured on the 2-core development machine; 25 s when it was loaded).
A request outside those areas matches no operation, so it is refused like an invalid one.

A small recording proxy sits between PyGithub and Prism: it records each answer and rewrites
the `https://api.github.com` URLs in Prism's example responses to itself (as a real GitHub or
GHES names itself), so no request leaves loopback.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from github import GithubException
from github_fixtures import SHA, gate_result

from gate.github import GitHubContext, PublishOptions, publish
from gate.github.api import PyGithubApi
from gate.github.client import Budget, build_github

ROOT = Path(__file__).resolve().parent.parent
PRISM_DIR = ROOT / ".cache" / "prism"
PRISM = PRISM_DIR / "node_modules" / ".bin" / "prism"
SPEC = PRISM_DIR / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
STARTUP_DEADLINE_S = 240
# The parts of the API the gate calls (publishing, reruns, `gate require`, baseline artifacts):
# every operation under /repos/{owner}/{repo}/<area>, and the repository itself.
AREAS = (
    "issues",
    "deployments",
    "statuses",
    "commits",
    "check-runs",
    "pulls",
    "actions/artifacts",
    "actions/runs",
)


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    violations: list[Any] | None  # Prism's violations located in the request
    body: Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_prism() -> None:
    if PRISM.exists() and SPEC.exists():
        return
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: cannot install Prism and @octokit/openapi")
    subprocess.run(["bash", str(ROOT / "tests/tools/install-extras.sh")], check=False, timeout=600)
    if not (PRISM.exists() and SPEC.exists()):
        pytest.fail(f"npm is available but Prism did not install; see {PRISM_DIR / 'npm.log'}")


def trimmed_description(full: Path, dest: Path) -> Path:
    """The official description with only the paths of `AREAS`, and the components they
    reference (followed through `$ref`s transitively), each unchanged."""
    spec = json.loads(full.read_text())
    repo = "/repos/{owner}/{repo}"
    paths = {
        path: item
        for path, item in spec["paths"].items()
        if path == repo or any(path.startswith(f"{repo}/{area}") for area in AREAS)
    }
    components: dict[str, dict[str, Any]] = {}

    def follow(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                kind, name = ref.split("/", 3)[2:]
                if name not in components.setdefault(kind, {}):
                    components[kind][name] = spec["components"][kind][name]
                    follow(components[kind][name])
            for value in node.values():
                follow(value)
        elif isinstance(node, list):
            for value in node:
                follow(value)

    follow(paths)
    kept = {k: v for k, v in spec.items() if k not in ("paths", "components", "x-webhooks")}
    dest.write_text(json.dumps({**kept, "paths": paths, "components": components}))
    return dest


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _ensure_prism()
    spec = trimmed_description(SPEC, tmp_path_factory.mktemp("prism") / "api.github.com.json")
    port = _free_port()
    log = PRISM_DIR / f"prism-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(PRISM), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(spec)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while "Prism is listening" not in log.read_text(errors="replace"):
            if proc.poll() is not None:
                pytest.fail(f"Prism exited with {proc.returncode}: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"Prism did not start within {STARTUP_DEADLINE_S} s")
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink(missing_ok=True)


class RecordingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.exchanges: list[Exchange] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer, data = proxy.ask(self.command, self.path, raw, headers)
                if _request_violations(answer) == [] and answer.status == 500:
                    # Prism's own example response breaks the schema (its 500 lists only
                    # response violations): the request was fine; ask for a generated answer.
                    headers["Prefer"] = "dynamic=true"
                    answer, data = proxy.ask(self.command, self.path, raw, headers)
                data = data.replace(b"https://api.github.com", proxy.url.encode())
                proxy.exchanges.append(
                    Exchange(
                        self.command,
                        self.path,
                        answer.status,
                        _request_violations(answer) or None,
                        json.loads(raw) if raw else None,
                    )
                )
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    # Prism's example `Link` points at a made-up `/resource?page=2`: not a page.
                    if key.lower() in ("content-length", "connection", "keep-alive", "link"):
                        continue
                    self.send_header(key, value.replace("https://api.github.com", proxy.url))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _forward

        return Handler

    def ask(
        self, method: str, path: str, raw: bytes | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        try:
            conn.request(method, path, body=raw, headers=headers)
            answer = conn.getresponse()
            return answer, answer.read()
        finally:
            conn.close()

    def __enter__(self) -> RecordingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _request_violations(answer: http.client.HTTPResponse) -> list[Any] | None:
    """Prism's violations about the request (not about its own example response), or None."""
    header = answer.getheader("sl-violations")
    if not header:
        return None
    return [v for v in json.loads(header) if (v.get("location") or [""])[0] == "request"]


def _assert_all_valid(exchanges: list[Exchange]) -> None:
    assert exchanges, "nothing was sent"
    bad = [
        f"{e.method} {e.path} -> {e.status} {e.violations or ''}"
        for e in exchanges
        if e.status >= 400 or e.violations
    ]
    assert not bad, "requests GitHub's API description refuses:\n" + "\n".join(bad)


def _context(url: str, **kw: Any) -> GitHubContext:
    base: dict[str, Any] = {
        "event": "pull_request",
        "repository": "octo/demo",
        "api_url": url,
        "run_url": "https://github.com/octo/demo/actions/runs/1",
        "sha": SHA,
        "environment": "staging",
        "pull_requests": (7,),
        "run_key": "1-1-staging",
    }
    return GitHubContext(**{**base, **kw})


OPTIONS = PublishOptions(token="contract-test-token", budget_s=60, write_interval_s=0)


def test_publish_sends_only_valid_operations(prism_url: str) -> None:
    result = gate_result([f"test_{i}" for i in range(70)], with_file=True)
    surfaces = ["comment", "deployment-status", "commit-status", "check-run"]
    with RecordingProxy(prism_url) as proxy:
        report = publish(
            result,
            _context(proxy.url, deployment_id=42, environment_url="https://s.example.com"),
            surfaces,
            options=OPTIONS,
        )
        deployment = publish(
            result,
            _context(proxy.url, pull_requests=(), find_pulls=True, deployment_id=42),
            ["comment"],
            options=OPTIONS,
        )
    _assert_all_valid(proxy.exchanges)
    assert report.warnings == [], report.warnings
    assert deployment.warnings == [], deployment.warnings
    sent = {(e.method, e.path.split("?")[0]) for e in proxy.exchanges}
    assert ("POST", "/repos/octo/demo/issues/7/comments") in sent
    assert ("POST", "/repos/octo/demo/deployments/42/statuses") in sent
    assert ("POST", f"/repos/octo/demo/statuses/{SHA}") in sent
    assert ("POST", "/repos/octo/demo/check-runs") in sent
    assert any(m == "PATCH" and "/check-runs/" in p for m, p in sent)  # annotations 51..70
    assert ("GET", f"/repos/octo/demo/commits/{SHA}/pulls") in sent


def test_every_api_operation_is_valid(prism_url: str) -> None:
    """The calls only retries and races make (edit, delete, the lists) are checked here."""
    with RecordingProxy(prism_url) as proxy:
        gh = build_github("contract-test-token", proxy.url, budget=Budget(60), write_interval_s=0)
        api = PyGithubApi(gh, "octo/demo")
        api.list_comments(7)
        api.edit_comment(1, "<!-- deploy-gate:staging -->\nbody")
        api.delete_comment(1)
        api.pulls_for_commit(SHA)
        api.list_deployment_statuses(42)
        api.list_commit_statuses(SHA)
        api.find_check_run(SHA, "deploy-gate (staging)", "1-1-staging")
        api.update_check_run(4, {"output": {"title": "t", "summary": "s", "annotations": []}})
        api.count_check_run_annotations(4)
    _assert_all_valid(proxy.exchanges)
    assert len(proxy.exchanges) >= 9


def test_rerun_and_require_reads_are_valid(prism_url: str) -> None:
    """Issue 13's reads: a rerun's deployment, an environment's latest deployment, a pull
    request and a fork's pull request by head; `gate require`'s combined status and check runs."""
    with RecordingProxy(prism_url) as proxy:
        gh = build_github("contract-test-token", proxy.url, budget=Budget(60), write_interval_s=0)
        api = PyGithubApi(gh, "octo/demo")
        api.get_deployment(42)
        api.latest_deployment("staging")
        api.get_pull(7)
        api.pulls_for_head("someone:feature")
        api.combined_statuses(SHA)
        api.check_runs_named(SHA, "deploy-gate (staging)")
        api.close()
    _assert_all_valid(proxy.exchanges)
    sent = {(e.method, e.path.split("?")[0]) for e in proxy.exchanges}
    assert sent == {
        ("GET", "/repos/octo/demo/deployments/42"),
        ("GET", "/repos/octo/demo/deployments"),
        ("GET", "/repos/octo/demo/pulls/7"),
        ("GET", "/repos/octo/demo/pulls"),
        ("GET", f"/repos/octo/demo/commits/{SHA}/status"),
        ("GET", f"/repos/octo/demo/commits/{SHA}/check-runs"),
    }


def test_a_rerun_publishes_with_valid_operations(prism_url: str) -> None:
    """A dispatch rerun of deployment 42: looked up, then published, every call valid."""
    with RecordingProxy(prism_url) as proxy:
        ctx = _context(
            proxy.url,
            event="workflow_dispatch",
            pull_requests=(),
            deployment_id=42,
            resolve="deployment",
        )
        report = publish(
            gate_result(), ctx, ["deployment-status", "commit-status"], options=OPTIONS
        )
    _assert_all_valid(proxy.exchanges)
    assert not [w for w in report.warnings if "rerun" in w], report.warnings
    sent = [(e.method, e.path.split("?")[0]) for e in proxy.exchanges]
    assert sent[0] == ("GET", "/repos/octo/demo/deployments/42")


def test_the_harness_catches_an_invalid_request(prism_url: str) -> None:
    """Without this, a Prism that accepted everything would make the tests above worthless."""
    with RecordingProxy(prism_url) as proxy:
        gh = build_github("contract-test-token", proxy.url, budget=Budget(60), write_interval_s=0)
        api = PyGithubApi(gh, "octo/demo")
        with pytest.raises(GithubException):
            api.create_deployment_status(42, {"state": "passed", "log_url": 5})
    [exchange] = proxy.exchanges
    assert exchange.status == 422
    assert exchange.violations


def test_an_operation_outside_the_served_areas_is_refused(prism_url: str) -> None:
    """The served description is a part of GitHub's: a call outside it fails the contract
    (add its area to `AREAS`) instead of passing unchecked."""
    with RecordingProxy(prism_url) as proxy:
        gh = build_github("contract-test-token", proxy.url, budget=Budget(60), write_interval_s=0)
        with pytest.raises(GithubException):
            gh.get_repo("octo/demo").get_releases().get_page(0)
    [exchange] = proxy.exchanges
    assert exchange.path.startswith("/repos/octo/demo/releases")
    assert exchange.status == 404
    with pytest.raises(AssertionError, match="requests GitHub's API description refuses"):
        _assert_all_valid(proxy.exchanges)
