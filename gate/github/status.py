"""The commit status (`deploy-gate/<environment>`) and the check run with its annotations.

A check run needs the Actions `GITHUB_TOKEN` with `checks: write`; any other token gets 403,
which the caller degrades to a warning. Annotations go 50 per request (GitHub's limit): the
create carries the first 50, each further 50 are appended with a PATCH. Creating is guarded
like every POST: a retry first looks for the check run by its `external_id` (this run's key).
Appending is not idempotent either: a retried PATCH first counts the check run's annotations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gate.github.api import GitHubApi
from gate.github.client import Retrier
from gate.github.text import clip, describe, safe_environment
from gate.model import GateResult, Outcome, Problem, Verdict
from gate.redact import Redactor
from gate.reports import render_markdown
from gate.reports.escape import bound_block, safe_id, safe_text

OUTPUT_LIMIT = 65_535
ANNOTATIONS_PER_REQUEST = 50
MAX_ANNOTATIONS = 1000  # 20 requests: enough to point at every failure people will read
_FAILING = {"failed", "error"}


def commit_state(result: GateResult) -> str:
    if result.outcome is Outcome.ERROR:
        return "error"
    return "success" if result.verdict is Verdict.PASS else "failure"


def status_context(environment: str) -> str:
    return f"deploy-gate/{safe_environment(environment)}"


def commit_status_payload(
    result: GateResult, environment: str, run_url: str | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "state": commit_state(result),
        "description": describe(result),
        "context": status_context(environment),
    }
    if run_url:
        payload["target_url"] = run_url
    return payload


def publish_commit_status(
    api: GitHubApi, retrier: Retrier, sha: str, payload: dict[str, Any]
) -> None:
    def attempt(n: int) -> None:
        if n > 1 and any(_same_status(s, payload) for s in api.list_commit_statuses(sha)):
            return
        api.create_commit_status(sha, payload)

    retrier.run(f"commit status on {sha[:12]}", attempt)


def _same_status(status: dict[str, Any], payload: dict[str, Any]) -> bool:
    return all(status.get(k) == payload.get(k) for k in ("state", "description", "context"))


def build_annotations(
    result: GateResult,
    fallback_path: str,
    secrets: frozenset[str] = frozenset(),
    workspace: str | None = None,
) -> list[dict[str, Any]]:
    """One annotation per failing test: its file and line when the JUnit had them.

    Annotations are shown as plain text (no Markdown), so they are cleaned and redacted, not
    escaped.
    """
    red = Redactor(secrets)
    out: list[dict[str, Any]] = []
    for suite in result.suites:
        for problem in suite.problems:
            if problem.outcome in _FAILING and len(out) < MAX_ANNOTATIONS:
                out.append(_annotation(suite.name, problem, fallback_path, red, workspace))
    return out


def repo_path(file: str | None, workspace: str | None) -> str | None:
    """`file` relative to the repository, or None when it is not inside it.

    JUnit files name test files relative to where the tool ran, or absolute
    (`/home/runner/work/app/app/tests/test_x.py`); GitHub wants repository-relative paths.
    """
    if not file:
        return None
    path = file.replace("\\", "/")
    if path.startswith("/"):
        root = (workspace or "").replace("\\", "/").rstrip("/")
        if not root or not path.startswith(root + "/"):
            return None
        path = path[len(root) + 1 :]
    while path.startswith("./"):
        path = path[2:]
    if not path or ".." in path.split("/"):
        return None
    return path


def _annotation(
    suite: str, problem: Problem, fallback_path: str, red: Redactor, workspace: str | None
) -> dict[str, Any]:
    found = repo_path(problem.file, workspace)
    path = found or fallback_path
    line = problem.line if found and problem.line and problem.line > 0 else 1
    message = problem.message or f"{problem.outcome} in {suite}"
    item: dict[str, Any] = {
        "path": path,
        "start_line": line,
        "end_line": line,
        "annotation_level": "failure",
        "title": safe_id(f"{suite}: {problem.id}", 255, red),
        "message": safe_text(message, 4000, red),
    }
    if problem.detail:
        item["raw_details"] = bound_block(problem.detail, 8000, red)
    return item


def check_run_output(
    result: GateResult, run_url: str | None, environment: str, secrets: frozenset[str]
) -> dict[str, Any]:
    title = clip(f"deploy-gate ({environment}): {describe(result)}", 255)
    summary = render_markdown(result, limit=OUTPUT_LIMIT - 1_000, run_url=run_url, secrets=secrets)
    return {"title": title, "summary": summary[: OUTPUT_LIMIT - 1]}


def _batches(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), ANNOTATIONS_PER_REQUEST):
        yield items[start : start + ANNOTATIONS_PER_REQUEST]


def publish_check_run(
    api: GitHubApi,
    retrier: Retrier,
    *,
    result: GateResult,
    sha: str,
    name: str,
    external_id: str,
    run_url: str | None,
    environment: str,
    fallback_path: str,
    secrets: frozenset[str] = frozenset(),
    workspace: str | None = None,
) -> int:
    """Create the completed check run, then append annotations beyond the first 50."""
    output = check_run_output(result, run_url, environment, secrets)
    batches = list(_batches(build_annotations(result, fallback_path, secrets, workspace))) or [[]]
    create: dict[str, Any] = {
        "name": name,
        "head_sha": sha,
        "status": "completed",
        "conclusion": "success" if result.verdict is Verdict.PASS else "failure",
        "external_id": external_id,
        "output": {**output, "annotations": batches[0]} if batches[0] else output,
    }
    if run_url:
        create["details_url"] = run_url

    def attempt(n: int) -> int:
        found = api.find_check_run(sha, name, external_id) if n > 1 else None
        return found if found is not None else api.create_check_run(create)

    check_id = retrier.run(f"check run {name!r}", attempt)
    for i, batch in enumerate(batches[1:], start=2):
        update = {"output": {**output, "annotations": batch}}
        sent = sum(len(b) for b in batches[:i])  # annotations on the check run after this one
        _append(api, retrier, check_id, update, sent, f"check run annotations {i}/{len(batches)}")
    return check_id


def _append(
    api: GitHubApi,
    retrier: Retrier,
    check_id: int,
    update: dict[str, Any],
    expected: int,
    what: str,
) -> None:
    """PATCH one batch; a retry first counts the annotations, so a batch is never added twice."""

    def attempt(n: int) -> None:
        if n > 1 and api.count_check_run_annotations(check_id) >= expected:
            return
        api.update_check_run(check_id, update)

    retrier.run(what, attempt)


def check_run_name(environment: str) -> str:
    return f"deploy-gate ({safe_environment(environment)})"
