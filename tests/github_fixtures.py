"""Fixtures and builders for the GitHub publishing tests (and anyone needing a fake GitHub).

`fake_github` starts `tests/fake_github.FakeGitHub` on loopback for one test. The builders make
results and contexts without touching the process environment, so runs can go in parallel.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fake_github import FakeGitHub

from gate.github import GitHubContext, PublishOptions, PublishReport, publish
from gate.model import GateResult, Outcome, Problem, SuiteResult, Totals, Verdict

SHA = "0123456789abcdef0123456789abcdef01234567"
ALL_SURFACES = ("comment", "deployment-status", "commit-status", "check-run", "summary")


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake
    assert not fake.errors, f"the fake GitHub itself failed: {fake.errors}"


def gate_result(
    failing: Sequence[str] = (),
    *,
    suite: str = "smoke",
    passed: int = 3,
    outcome: Outcome | None = None,
    with_file: bool = False,
) -> GateResult:
    """A result with `passed` passing tests and one failed problem per name in `failing`."""
    problems = [
        Problem(
            id=name,
            outcome="failed",
            message=f"assert failed in {name}",
            file=f"tests/test_{suite}.py" if with_file else None,
            line=10 + i if with_file else None,
        )
        for i, name in enumerate(failing)
    ]
    totals = Totals(tests=passed + len(problems), passed=passed, failed=len(problems))
    suite_outcome = Outcome.FAILED if problems else Outcome.PASSED
    final = outcome or suite_outcome
    verdict = Verdict.PASS if final in (Outcome.PASSED, Outcome.WARNED) else Verdict.BLOCK
    reasons = [f"{len(problems)} failed in {suite}"] if problems else []
    return GateResult(
        verdict=verdict,
        outcome=final,
        reasons=reasons,
        target="http://127.0.0.1:1",
        totals=totals,
        suites=[SuiteResult(suite, suite_outcome, totals, 1.0, problems, reasons)],
    )


def pr_context(
    fake: FakeGitHub,
    *,
    pr: int | None = 7,
    sha: str = SHA,
    environment: str = "staging",
    run_id: int = 1,
    deployment_id: int | None = None,
    find_pulls: bool = False,
    fork: bool = False,
    event: str = "pull_request",
) -> GitHubContext:
    return GitHubContext(
        event=event,
        repository=fake.repository,
        api_url=fake.url,
        run_url=f"https://github.com/{fake.repository}/actions/runs/{run_id}",
        sha=sha,
        environment=environment,
        pull_requests=(pr,) if pr is not None else (),
        find_pulls=find_pulls,
        deployment_id=deployment_id,
        environment_url="https://staging.example.com" if deployment_id else None,
        fork=fork,
        run_key=f"{run_id}-1-{environment}",
    )


def publish_to(
    fake: FakeGitHub,
    result: GateResult,
    context: GitHubContext,
    *,
    surfaces: Sequence[str] = ALL_SURFACES,
    token: str = FakeGitHub.WRITE_TOKEN,
    budget_s: float = 30.0,
    out: Path | None = None,
) -> PublishReport:
    """Publish through PyGithub against the fake, exactly as `gate publish` does."""
    options = PublishOptions(
        token=token,
        budget_s=budget_s,
        write_interval_s=0.0,
        step_summary=out / "step_summary.md" if out else None,
        output=out / "github_output" if out else None,
        result_path=out / "result.json" if out else None,
    )
    return publish(result, context, list(surfaces), options=options)
