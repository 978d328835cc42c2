"""A fork pull request's result, published by a trusted `workflow_run` workflow (issue 13).

The fork's `pull_request` run has a read-only token, so it uploads `gate-results/` as an artifact
and a `workflow_run` workflow (write token, base repository code) publishes it. Everything in
that artifact was written by code the fork controls, so before anything is posted:

- `result.json` must be there, a regular file (not a link), at most `MAX_RESULT_BYTES`, JSON,
  and valid against schema 1 (typed, strict: a number where a string belongs is refused);
  only the fields of schema 1 go on, rebuilt as a `GateResult` (whose texts the publishers
  escape and redact like any test output);
- where to post comes from GitHub's `workflow_run` payload (its head sha, its pull request),
  never from the artifact: the optional `pull-request.json` claim beside `result.json` is only
  compared, and a claim of another repository, pull request or commit refuses the artifact.

Any refusal is an `ArtifactRefused` with the reason: nothing is posted, a warning says why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gate.errors import ArtifactRefused
from gate.github.context import GitHubContext
from gate.model import GateResult

__all__ = ["CLAIM_FILE", "MAX_RESULT_BYTES", "ArtifactRefused", "load_untrusted_result"]

MAX_RESULT_BYTES = 5 * 1024 * 1024
MAX_CLAIM_BYTES = 4096
CLAIM_FILE = "pull-request.json"

Outcome = Literal["passed", "warned", "failed", "inconclusive", "error"]
Count = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class _Totals(_Strict):
    tests: Count = 0
    passed: Count = 0
    failed: Count = 0
    errors: Count = 0
    skipped: Count = 0
    flaky: Count = 0
    quarantined: Count = 0


class _Problem(_Strict):
    id: str
    outcome: str
    message: str = ""
    duration_s: float = 0.0
    file: str | None = None
    line: int | None = None
    tier: str | None = None
    detail: str = ""


class _Suite(_Strict):
    name: str
    outcome: Outcome
    totals: _Totals = Field(default_factory=lambda: _Totals())
    duration_s: float = 0.0
    problems: list[_Problem] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    blocking: bool = True


class _Result(_Strict):
    """result.json schema 1 (docs/design.md: result.json)."""

    schema_: Annotated[Literal[1], Field(alias="schema")]
    verdict: Literal["pass", "block"]
    outcome: Outcome
    reasons: list[str] = Field(default_factory=list)
    target: str | None = None
    totals: _Totals = Field(default_factory=lambda: _Totals())
    suites: list[_Suite] = Field(default_factory=list)
    stress: dict[str, Any] | None = None
    duration_s: float = 0.0


class _Claim(_Strict):
    """What the unprivileged run says it judged: compared, never used as a destination."""

    repository: str | None = None
    pull_request: int | None = None
    head_sha: str | None = None


def load_untrusted_result(path: Path, ctx: GitHubContext) -> GateResult:
    """The artifact's result, if it is fit to publish for `ctx`; else `ArtifactRefused`."""
    if ctx.run_repository and ctx.run_repository != ctx.repository:
        raise ArtifactRefused(
            f"the workflow_run belongs to {ctx.run_repository}, not {ctx.repository}: "
            "its artifact is not published here"
        )
    data = _read_json(path, MAX_RESULT_BYTES, "the gate-results artifact")
    if not isinstance(data, dict) or data.get("schema") != 1:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ArtifactRefused(f"{path}: not a schema 1 result.json (schema is {found!r})")
    try:
        model = _Result.model_validate(data)
    except ValidationError as exc:
        raise ArtifactRefused(f"{path}: not a valid schema 1 result: {_first(exc)}") from None
    claim_path = path.with_name(CLAIM_FILE)
    if claim_path.exists() or claim_path.is_symlink():
        _check_claim(claim_path, ctx)
    try:
        return GateResult.from_json(model.model_dump(by_alias=True))
    except ValueError as exc:
        raise ArtifactRefused(f"{path}: {exc}") from None


def _read_json(path: Path, limit: int, what: str) -> Any:
    if path.is_symlink():
        raise ArtifactRefused(f"{path}: is a symbolic link; {what} must hold plain files")
    if not path.is_file():
        raise ArtifactRefused(
            f"{path}: not found; was {what} uploaded by the pull request's run? (it uploads "
            "nothing when the gate could not start, or the run was cancelled)"
        )
    size = path.stat().st_size
    if size > limit:
        raise ArtifactRefused(f"{path}: {size} bytes, more than the {limit} bytes allowed")
    try:
        return json.loads(path.read_bytes())
    except ValueError as exc:
        raise ArtifactRefused(f"{path}: not valid JSON: {exc}") from None


def _check_claim(path: Path, ctx: GitHubContext) -> None:
    data = _read_json(path, MAX_CLAIM_BYTES, "the gate-results artifact")
    try:
        claim = _Claim.model_validate(data)
    except ValidationError as exc:
        raise ArtifactRefused(f"{path}: not a valid claim: {_first(exc)}") from None
    if claim.repository is not None and claim.repository != ctx.repository:
        raise ArtifactRefused(
            f"{path}: the artifact claims repository {claim.repository!r}, "
            f"but this is {ctx.repository}"
        )
    if claim.head_sha is not None and claim.head_sha != ctx.sha:
        raise ArtifactRefused(
            f"{path}: the artifact claims commit {claim.head_sha[:40]!r}, but the workflow_run "
            f"ran on {ctx.sha}"
        )
    if (
        claim.pull_request is not None
        and ctx.pull_requests
        and claim.pull_request not in ctx.pull_requests
    ):
        raise ArtifactRefused(
            f"{path}: the artifact claims pull request #{claim.pull_request}, but the "
            f"workflow_run is for #{', #'.join(map(str, ctx.pull_requests))}"
        )


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "(top)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"
