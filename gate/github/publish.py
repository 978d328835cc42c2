"""Publishing a `GateResult` to GitHub: PR comment, deployment status, commit status, check run,
step summary and step outputs.

`publish()` is the one entry point. Publishing trouble (a read-only fork token, a 403, a
deployment that does not exist, rate limits outlasting the budget) never changes the verdict: it
becomes a warning in the returned `PublishReport`, and the step summary is still written.
The GitHub surfaces share one `_Job` (result, where, API, retrier, options, report), so each
surface is a short function of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import requests
from github import GithubException

from gate.errors import PublishError
from gate.github.api import DryRunApi, GitHubApi, PyGithubApi
from gate.github.client import Budget, Retrier, build_github, message_of
from gate.github.comment import comment_body, upsert_comment
from gate.github.context import GitHubContext
from gate.github.deployment import deployment_payload, publish_deployment_status
from gate.github.rerun import for_result, resolve_rerun
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

__all__ = ["GITHUB_SURFACES", "PublishOptions", "PublishReport", "publish"]


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

    @property
    def all_secrets(self) -> frozenset[str]:
        """The configured secrets and the token: none of them may reach GitHub."""
        return self.secrets | ({self.token} if self.token else frozenset())


@dataclass
class PublishReport:
    published: list[str] = field(default_factory=list)  # one line per surface that was written
    notes: list[str] = field(default_factory=list)  # skipped on purpose (no PR, no deployment)
    warnings: list[str] = field(default_factory=list)  # publishing trouble, never the verdict
    comment_urls: list[str] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        return bool(self.warnings)


@dataclass
class _Job:
    """Everything one publishing run shares: what, where, through which API, and the report."""

    result: GateResult
    ctx: GitHubContext
    api: GitHubApi
    retrier: Retrier
    options: PublishOptions
    report: PublishReport


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
    if wanted and context is not None and _may_post(context, dry_run, options, report):
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
    redact = Redactor(options.all_secrets)  # warnings may quote GitHub's or requests' messages
    report.warnings = [redact(w) for w in report.warnings]
    report.notes = [redact(n) for n in report.notes]
    return report


def _may_post(
    ctx: GitHubContext, dry_run: bool, options: PublishOptions, report: PublishReport
) -> bool:
    if ctx.fork and not dry_run:
        report.warnings.append(
            "this pull request comes from a fork: its token is read-only, so the comment, "
            "statuses and check run were not posted (the step summary has the verdict); "
            "publish from a `workflow_run` workflow instead (see docs/promotion.md)"
        )
        return False
    if not options.token and not dry_run:
        report.warnings.append("no GitHub token: nothing was posted to GitHub")
        return False
    return True


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
    owned: PyGithubApi | None = None  # built here, so closed here
    budget = Budget(options.budget_s)
    ctx = for_result(ctx, result.target)
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
    job = _Job(result, ctx, api, Retrier(budget), options, report)
    try:
        if ctx.resolve:
            _guard(report, "rerun", lambda: _resolve(job))
            if job.ctx.resolve:  # not resolved: posting to GITHUB_SHA would be the wrong commit
                report.warnings.append(
                    "rerun: nothing was posted to GitHub, because the commit to post on is unknown"
                )
                return
        for surface in wanted:
            _guard(report, surface, _bound(_SURFACES[surface], job))
    finally:
        if owned is not None:
            owned.close()


def _bound(step: Callable[[_Job], None], job: _Job) -> Callable[[], None]:
    return lambda: step(job)


def _resolve(job: _Job) -> None:
    job.ctx = resolve_rerun(job.ctx, job.api, job.retrier)
    ctx = job.ctx
    where = f"{ctx.sha[:12]}" if ctx.sha else "no commit"
    deployment = f"deployment {ctx.deployment_id} ({ctx.environment}) " if ctx.deployment_id else ""
    job.report.notes.append(f"rerun: re-judging {deployment}on commit {where}")


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


def _pull_requests(job: _Job) -> list[int]:
    ctx = job.ctx
    if ctx.pull_requests or not ctx.find_pulls or not ctx.sha:
        return list(ctx.pull_requests)
    sha, api = ctx.sha, job.api
    pulls = job.retrier.run(f"pull requests of {sha[:12]}", lambda _n: api.pulls_for_commit(sha))
    found = {p.number for p in pulls if p.state == "open" and p.head_sha == sha}
    label = ctx.head_label
    if not found and label:  # a fork's head commit is not listed under the base repository
        heads = job.retrier.run(f"pull requests of {label}", lambda _n: api.pulls_for_head(label))
        found = {p.number for p in heads if p.state == "open" and p.head_sha == sha}
    return sorted(found)


def _comment(job: _Job) -> None:
    ctx, report = job.ctx, job.report
    prs = _pull_requests(job)
    if not prs:
        what = f"commit {ctx.sha[:12]}" if ctx.sha else f"this {ctx.event} event"
        report.notes.append(f"comment: no open pull request for {what}; nothing to comment on")
        return
    secrets = job.options.all_secrets
    body = comment_body(
        job.result, environment=ctx.environment, run_url=ctx.run_url, secrets=secrets
    )
    body = Redactor(secrets)(body)  # defence in depth: the token never reaches a comment
    for pr in prs:
        try:
            posted = upsert_comment(job.api, job.retrier, pr, ctx.environment, body)
        except PublishError as exc:
            report.warnings.append(f"comment: {exc}")
            continue
        except GithubException as exc:
            report.warnings.append(f"comment on PR #{pr}: {_explain('comment', exc)}")
            continue
        report.comment_urls.append(posted.html_url)
        report.published.append(f"comment on PR #{pr}: {posted.html_url}")


def _deployment(job: _Job) -> None:
    ctx = job.ctx
    if ctx.deployment_id is None:
        job.report.notes.append(f"deployment-status: no deployment in this {ctx.event} event")
        return
    payload = deployment_payload(
        job.result,
        environment=ctx.environment,
        environment_url=ctx.environment_url,
        log_url=ctx.run_url,
    )
    publish_deployment_status(job.api, job.retrier, ctx.deployment_id, payload, ctx.repository)
    job.report.published.append(f"deployment {ctx.deployment_id} status: {payload['state']}")


def _commit_status(job: _Job) -> None:
    ctx = job.ctx
    if not ctx.sha:
        job.report.notes.append("commit-status: no commit sha known (GITHUB_SHA / GATE_SHA)")
        return
    payload = commit_status_payload(job.result, ctx.environment, ctx.run_url)
    publish_commit_status(job.api, job.retrier, ctx.sha, payload)
    job.report.published.append(
        f"commit status {payload['context']} on {ctx.sha[:12]}: {payload['state']}"
    )


def _check_run(job: _Job) -> None:
    ctx = job.ctx
    if not ctx.sha:
        job.report.notes.append("check-run: no commit sha known (GITHUB_SHA / GATE_SHA)")
        return
    name = check_run_name(ctx.environment)
    check_id = publish_check_run(
        job.api,
        job.retrier,
        result=job.result,
        sha=ctx.sha,
        name=name,
        external_id=ctx.run_key or f"deploy-gate-{ctx.environment}",
        run_url=ctx.run_url,
        environment=ctx.environment,
        fallback_path=job.options.fallback_path,
        workspace=job.options.workspace,
        secrets=job.options.all_secrets,
    )
    job.report.published.append(f"check run {name!r} ({check_id}) on {ctx.sha[:12]}")


_SURFACES: dict[str, Callable[[_Job], None]] = {
    "comment": _comment,
    "deployment-status": _deployment,
    "commit-status": _commit_status,
    "check-run": _check_run,
}


def _summary(
    result: GateResult, options: PublishOptions, run_url: str | None, report: PublishReport
) -> None:
    assert options.step_summary is not None
    notes = report.warnings + report.notes
    write_step_summary(
        options.step_summary, result, run_url=run_url, notes=notes, secrets=options.all_secrets
    )
    report.published.append(f"step summary: {options.step_summary}")


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
