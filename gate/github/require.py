"""`gate require`: may the next step go ahead? Only if the gate said `success` for this commit.

The verdict is the gate's own commit status `deploy-gate/<environment>` on the commit (the latest
one of that context wins, which is what GitHub's combined status holds). Where no status was
published (a `publish` list without `commit-status`), the check run `deploy-gate (<environment>)`
stands in. `failure`, `error`, `pending` or nothing at all are not a pass; with a wait, pending
and nothing are asked again until the time is up (the gate may still be running).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from github import GithubException

from gate.errors import UsageError
from gate.github.api import VerdictApi
from gate.github.client import Retrier, message_of
from gate.github.status import check_run_name, status_context

__all__ = ["Found", "await_verdict", "read_verdict"]

PASS, FAIL, PENDING, NONE = "success", "failure", "pending", "none"


@dataclass(frozen=True, slots=True)
class Found:
    """What GitHub holds for one environment on one commit."""

    state: str  # success, failure, pending or none
    source: str  # "commit status deploy-gate/x", "check run 'deploy-gate (x)'" or ""
    description: str = ""
    url: str = ""
    others: tuple[str, ...] = ()  # other deploy-gate/* contexts on the commit (a typo hint)

    @property
    def passed(self) -> bool:
        return self.state == PASS

    def explain(self, environment: str, sha: str) -> str:
        where = f"{environment!r} on {sha[:12]}"
        if self.state == NONE:
            hint = (
                f"; this commit has verdicts for: {', '.join(self.others)}"
                if self.others
                else "; the gate has not published for this commit (is `commit-status` in its "
                "publish list, and did it run on this sha?)"
            )
            return f"no deploy-gate verdict for {where}{hint}"
        said = f": {self.description}" if self.description else ""
        link = f" ({self.url})" if self.url else ""
        return f"{self.source} on {sha[:12]} is {self.state}{said}{link}"


def read_verdict(api: VerdictApi, retrier: Retrier, sha: str, environment: str) -> Found:
    """The verdict for `environment` on `sha`; `UsageError` when the commit does not exist."""
    context = status_context(environment)
    statuses = _ask(retrier, sha, "commit statuses", lambda: api.combined_statuses(sha))
    for status in statuses:
        if status.get("context") == context:
            state = str(status.get("state") or "")
            return Found(
                state=PASS if state == "success" else PENDING if state == "pending" else FAIL,
                source=f"commit status {context}",
                description=str(status.get("description") or ""),
                url=str(status.get("target_url") or ""),
            )
    name = check_run_name(environment)
    runs = _ask(retrier, sha, "check runs", lambda: api.check_runs_named(sha, name))
    if runs:
        return _from_check_run(max(runs, key=_started), name)
    others = sorted(
        str(s["context"]) for s in statuses if str(s.get("context", "")).startswith("deploy-gate/")
    )
    return Found(state=NONE, source="", others=tuple(others))


def _started(run: dict[str, Any]) -> str:
    return str(run.get("started_at") or run.get("completed_at") or "") + f"{run.get('id', 0):020}"


def _from_check_run(run: dict[str, Any], name: str) -> Found:
    if run.get("status") != "completed":
        state = PENDING
    else:
        state = PASS if run.get("conclusion") == "success" else FAIL
    output = run.get("output") or {}
    return Found(
        state=state,
        source=f"check run {name!r}",
        description=str(output.get("title") or run.get("conclusion") or run.get("status") or ""),
        url=str(run.get("html_url") or ""),
    )


def _ask(retrier: Retrier, sha: str, what: str, call: Callable[[], list[dict[str, Any]]]) -> Any:
    try:
        return retrier.run(f"{what} of {sha[:12]}", lambda _n: call())
    except GithubException as exc:
        if exc.status in (404, 422):
            raise UsageError(
                f"commit {sha} was not found (GitHub answered {exc.status}: {message_of(exc)}); "
                "check --sha (a full or abbreviated commit sha of this repository)"
            ) from exc
        if exc.status == 401:
            raise UsageError(
                f"GitHub refused the token (401: {message_of(exc)}): check GITHUB_TOKEN / "
                "GATE_GITHUB_TOKEN"
            ) from exc
        raise


def await_verdict(
    read: Callable[[], Found],
    *,
    wait_s: float,
    interval_s: float,
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Found:
    """`read()` until the verdict is final (success or failure) or `wait_s` has passed."""
    deadline = clock() + max(0.0, wait_s)
    while True:
        found = read()
        left = deadline - clock()
        if found.state in (PASS, FAIL) or left <= 0:
            return found
        pause = min(interval_s, left)
        say(f"verdict is {found.state}; asking again in {pause:.0f} s ({left:.0f} s left)")
        sleep(pause)
