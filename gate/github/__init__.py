"""Publishing a `GateResult` to GitHub: PR comment, deployment status, commit status, check run,
step summary and step outputs.

`publish()` is the one entry point. Publishing trouble (a read-only fork token, a 403, a
deployment that does not exist, rate limits outlasting the budget) never changes the verdict: it
becomes a warning in the returned `PublishReport`, and the step summary is still written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import requests
from github import GithubException

from gate.github.api import DryRunApi, GitHubApi, PyGithubApi
from gate.github.client import Budget, PublishError, Retrier, build_github, message_of
from gate.github.comment import comment_body, upsert_comment
from gate.github.context import GitHubContext, Overrides, read_context
from gate.github.deployment import deployment_payload, publish_deployment_status
from gate.github.status import (
    check_run_name,
    commit_status_payload,
    publish_check_run,
    publish_commit_status,
)
from gate.github.summary import write_outputs, write_step_summary
from gate.model import GateResult
from gate.redact import Redactor

GITHUB_SURFACES = ("comment", "deployment-status", "commit-status", "check-run")

# What each surface needs from the token, for the warning when GitHub says 403.
PERMISSIONS = {
    "comment": "`pull-requests: write`",
    "deployment-status": "`deployments: write`",
    "commit-status": "`statuses: write`",
    "check-run": "`checks: write` and the Actions GITHUB_TOKEN (a personal token cannot "
    "create check runs)",
}

__all__ = [
    "GITHUB_SURFACES",
    "GitHubContext",
    "Overrides",
    "PublishOptions",
    "PublishReport",
    "publish",
    "read_context",
]


@dataclass(frozen=True)
class PublishOptions:
    token: str | None = None
    budget_s: float = 60.0
    write_interval_s: float = 1.0
    fallback_path: str = "gate.toml"  # annotation path for tests without file information
    workspace: str | None = None  # $GITHUB_WORKSPACE: absolute test paths are made relative
    result_path: Path | None = None
    summary_path: Path | None = None
    step_summary: Path | None = None  # $GITHUB_STEP_SUMMARY
    output: Path | None = None  # $GITHUB_OUTPUT
    secrets: frozenset[str] = frozenset()


@dataclass
class PublishReport:
    published: list[str] = field(default_factory=list)  # one line per surface that was written
    notes: list[str] = field(default_factory=list)  # skipped on purpose (no PR, no deployment)
    warnings: list[str] = field(default_factory=list)  # publishing trouble, never the verdict
    comment_urls: list[str] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        return bool(self.warnings)


def publish(
    result: GateResult,
    context: GitHubContext | None,
    surfaces: Sequence[str],
    dry_run: bool = False,
    *,
    options: PublishOptions | None = None,
    api: GitHubApi | None = None,
    stream: TextIO | None = None,
) -> PublishReport:
    """Post `result` to every requested surface; never raises for publishing trouble."""
    options = options or PublishOptions()
    report = PublishReport()
    wanted = [s for s in GITHUB_SURFACES if s in surfaces]
    if wanted and context is not None:
        _publish_github(result, context, wanted, dry_run, options, api, stream, report)
    run_url = context.run_url if context else None
    if "summary" in surfaces and dry_run:
        report.notes.append("dry-run: the step summary and outputs are not written")
    elif "summary" in surfaces and options.step_summary is not None:
        _guard(report, "step summary", lambda: _summary(result, options, run_url, report))
    elif "summary" in surfaces:
        report.notes.append("step summary: skipped, GITHUB_STEP_SUMMARY is not set")
    output = options.output
    if output is not None and not dry_run:
        outputs = _outputs(result, options, report)
        _guard(report, "step outputs", lambda: write_outputs(output, outputs))
    redact = Redactor(_secrets(options))  # warnings may quote GitHub's or requests' messages
    report.warnings = [redact(w) for w in report.warnings]
    report.notes = [redact(n) for n in report.notes]
    return report


def _publish_github(
    result: GateResult,
    ctx: GitHubContext,
    wanted: list[str],
    dry_run: bool,
    options: PublishOptions,
    api: GitHubApi | None,
    stream: TextIO | None,
    report: PublishReport,
) -> None:
    if ctx.fork and not dry_run:
        report.warnings.append(
            "this pull request comes from a fork: its token is read-only, so the comment, "
            "statuses and check run were not posted (the step summary has the verdict); "
            "publish from a `workflow_run` workflow instead (see README, Publishing to GitHub)"
        )
        return
    if not options.token and not dry_run:
        report.warnings.append("no GitHub token: nothing was posted to GitHub")
        return
    owned: PyGithubApi | None = None  # built here, so closed here
    budget = Budget(options.budget_s)
    retrier = Retrier(budget)
    if api is None:
        if dry_run:
            api = DryRunApi(ctx.repository, stream)
        else:
            gh = build_github(
                options.token or "",
                ctx.api_url,
                budget=budget,
                write_interval_s=options.write_interval_s,
            )
            api = owned = PyGithubApi(gh, ctx.repository)
    secrets = _secrets(options)
    steps: dict[str, Callable[[], None]] = {
        "comment": lambda: _comment(result, ctx, api, retrier, secrets, report),
        "deployment-status": lambda: _deployment(result, ctx, api, retrier, report),
        "commit-status": lambda: _commit_status(result, ctx, api, retrier, report),
        "check-run": lambda: _check_run(result, ctx, api, retrier, options, report),
    }
    try:
        for surface in wanted:
            _guard(report, surface, steps[surface])
    finally:
        if owned is not None:
            owned.close()


def _guard(report: PublishReport, surface: str, step: Callable[[], object]) -> None:
    """Run one surface; any trouble becomes a warning naming the surface and what to do."""
    try:
        step()
    except PublishError as exc:
        report.warnings.append(f"{surface}: {exc}")
    except GithubException as exc:
        report.warnings.append(f"{surface}: {_explain(surface, exc)}")
    except requests.exceptions.RequestException as exc:
        report.warnings.append(f"{surface}: could not reach GitHub: {type(exc).__name__}: {exc}")
    except OSError as exc:
        report.warnings.append(f"{surface}: {exc}")
    except Exception as exc:  # a bug here must not cost the verdict or the other surfaces
        report.warnings.append(
            f"{surface}: internal error (please report): {type(exc).__name__}: {exc}"
        )


def _explain(surface: str, exc: GithubException) -> str:
    said = f"GitHub answered {exc.status}: {message_of(exc)}"
    if exc.status == 403:
        need = PERMISSIONS.get(surface, "write access")
        return f"{said}; the token may not do this (needs {need}; fork PR tokens are read-only)"
    if exc.status == 401:
        return f"{said}; the token was refused (expired or wrong GITHUB_TOKEN / GATE_GITHUB_TOKEN)"
    if exc.status == 404:
        return f"{said}; not found, or the token cannot see it (needs {PERMISSIONS.get(surface)})"
    return said


def _pull_requests(ctx: GitHubContext, api: GitHubApi, retrier: Retrier) -> list[int]:
    if ctx.pull_requests or not ctx.find_pulls or not ctx.sha:
        return list(ctx.pull_requests)
    sha = ctx.sha
    pulls = retrier.run(f"pull requests of {sha[:12]}", lambda _n: api.pulls_for_commit(sha))
    return sorted({p.number for p in pulls if p.state == "open" and p.head_sha == sha})


def _comment(
    result: GateResult,
    ctx: GitHubContext,
    api: GitHubApi,
    retrier: Retrier,
    secrets: frozenset[str],
    report: PublishReport,
) -> None:
    prs = _pull_requests(ctx, api, retrier)
    if not prs:
        what = f"commit {ctx.sha[:12]}" if ctx.sha else f"this {ctx.event} event"
        report.notes.append(f"comment: no open pull request for {what}; nothing to comment on")
        return
    body = comment_body(result, environment=ctx.environment, run_url=ctx.run_url, secrets=secrets)
    body = Redactor(secrets)(body)  # defence in depth: the token never reaches a comment
    for pr in prs:
        try:
            posted = upsert_comment(api, retrier, pr, ctx.environment, body)
        except (PublishError, GithubException) as exc:
            if isinstance(exc, PublishError):
                report.warnings.append(f"comment: {exc}")
            else:
                report.warnings.append(f"comment on PR #{pr}: {_explain('comment', exc)}")
            continue
        report.comment_urls.append(posted.html_url)
        report.published.append(f"comment on PR #{pr}: {posted.html_url}")


def _deployment(
    result: GateResult, ctx: GitHubContext, api: GitHubApi, retrier: Retrier, report: PublishReport
) -> None:
    if ctx.deployment_id is None:
        report.notes.append(f"deployment-status: no deployment in this {ctx.event} event")
        return
    payload = deployment_payload(
        result,
        environment=ctx.environment,
        environment_url=ctx.environment_url,
        log_url=ctx.run_url,
    )
    publish_deployment_status(api, retrier, ctx.deployment_id, payload, ctx.repository)
    report.published.append(f"deployment {ctx.deployment_id} status: {payload['state']}")


def _commit_status(
    result: GateResult, ctx: GitHubContext, api: GitHubApi, retrier: Retrier, report: PublishReport
) -> None:
    if not ctx.sha:
        report.notes.append("commit-status: no commit sha known (GITHUB_SHA / GATE_SHA)")
        return
    payload = commit_status_payload(result, ctx.environment, ctx.run_url)
    publish_commit_status(api, retrier, ctx.sha, payload)
    report.published.append(
        f"commit status {payload['context']} on {ctx.sha[:12]}: {payload['state']}"
    )


def _check_run(
    result: GateResult,
    ctx: GitHubContext,
    api: GitHubApi,
    retrier: Retrier,
    options: PublishOptions,
    report: PublishReport,
) -> None:
    if not ctx.sha:
        report.notes.append("check-run: no commit sha known (GITHUB_SHA / GATE_SHA)")
        return
    name = check_run_name(ctx.environment)
    check_id = publish_check_run(
        api,
        retrier,
        result=result,
        sha=ctx.sha,
        name=name,
        external_id=ctx.run_key or f"deploy-gate-{ctx.environment}",
        run_url=ctx.run_url,
        environment=ctx.environment,
        fallback_path=options.fallback_path,
        workspace=options.workspace,
        secrets=_secrets(options),
    )
    report.published.append(f"check run {name!r} ({check_id}) on {ctx.sha[:12]}")


def _summary(
    result: GateResult, options: PublishOptions, run_url: str | None, report: PublishReport
) -> None:
    assert options.step_summary is not None
    notes = report.warnings + report.notes
    write_step_summary(
        options.step_summary, result, run_url=run_url, notes=notes, secrets=_secrets(options)
    )
    report.published.append(f"step summary: {options.step_summary}")


def _secrets(options: PublishOptions) -> frozenset[str]:
    return options.secrets | ({options.token} if options.token else frozenset())


def _outputs(result: GateResult, options: PublishOptions, report: PublishReport) -> dict[str, str]:
    t = result.totals
    return {
        "verdict": str(result.verdict),
        "outcome": str(result.outcome),
        "tests": str(t.tests),
        "failed": str(t.failed + t.errors),
        "result-path": str(options.result_path or ""),
        "summary-path": str(options.summary_path or ""),
        "comment-url": report.comment_urls[0] if report.comment_urls else "",
    }
