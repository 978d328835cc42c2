"""A fork pull request's result, published by a trusted `workflow_run` workflow (issue 13).

The fork's `pull_request` run has a read-only token, so it uploads `gate-results/` as an artifact
and a `workflow_run` workflow (write token, base repository code) publishes it. Everything in
that artifact was written by code the fork controls, so before anything is posted:

- `result.json` must be there, a regular file (not a link), at most `MAX_RESULT_BYTES`, JSON,
  and valid against schema 1 (typed, strict: a number where a string belongs is refused),
  the additive objects included: `stress` through the typed `StressSummary` (each metric as
  the trend or rate its keys say it is), `baseline` through `BaselineReport` (an endpoint's
  verdict one of the four the comparison writes), `cold_start` as numbers, a suite's
  `messages_cut` as a count. Only the fields of schema 1 go on, rebuilt as a `GateResult`
  (whose texts the publishers escape, redact and cut to size like any test output);
- where to post comes from GitHub's `workflow_run` payload (its head sha, its pull request),
  never from the artifact: the optional `pull-request.json` claim beside `result.json` is only
  compared, and a claim of another repository, pull request or commit refuses the artifact.

Any refusal is an `ArtifactRefused` with the reason: nothing is posted, a warning says why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from gate.errors import ArtifactRefused
from gate.github.context import GitHubContext
from gate.model import BaselineReport, GateResult, RateStats, StressSummary, TrendStats

__all__ = ["CLAIM_FILE", "MAX_RESULT_BYTES", "ArtifactRefused", "load_untrusted_result"]

MAX_RESULT_BYTES = 5 * 1024 * 1024
MAX_CLAIM_BYTES = 4096
CLAIM_FILE = "pull-request.json"

Outcome = Literal["passed", "warned", "failed", "inconclusive", "error"]
Count = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    # also the config of the model's dataclasses (StressSummary, BaselineReport): no NaN/inf
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)


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
    messages_cut: Count = 0


def _metric_kind(value: Any) -> str:
    """A metric with a `rate` is a rate, any other a trend: `StressSummary.from_json`'s rule."""
    if isinstance(value, dict):
        return "rate" if "rate" in value else "trend"
    return "rate" if isinstance(value, RateStats) else "trend"


_Metric = Annotated[
    Annotated[RateStats, Tag("rate")] | Annotated[TrendStats, Tag("trend")],
    Discriminator(_metric_kind),
]
Seconds = Annotated[float, Field(ge=0)]


class _ColdStart(_Strict):
    ready_s: Seconds | None = None
    first_ms: Seconds | None = None
    attempts: Count | None = None


class _Compared(_Strict):
    """What a baseline endpoint row shows beside numbers: only the comparison's verdicts."""

    verdict: Literal["regressed", "improved", "unchanged", "not compared"]


class _Result(_Strict):
    """result.json schema 1 (docs/design.md: result.json)."""

    schema_: Annotated[Literal[1], Field(alias="schema")]
    verdict: Literal["pass", "block"]
    outcome: Outcome
    reasons: list[str] = Field(default_factory=list)
    target: str | None = None
    totals: _Totals = Field(default_factory=lambda: _Totals())
    suites: list[_Suite] = Field(default_factory=list)
    stress: StressSummary | None = None
    duration_s: float = 0.0
    cold_start: _ColdStart | None = None
    baseline: BaselineReport | None = None
    # The same values again, checked more narrowly than the dataclasses' annotations say: a
    # metric by its kind (a trend with a text percentile is refused, not read as a rate), an
    # endpoint's verdict (shown as it is) from a closed list.
    stress_metrics: dict[str, _Metric] = Field(
        default_factory=dict, validation_alias=AliasPath("stress", "metrics")
    )
    compared: list[_Compared] = Field(
        default_factory=list, validation_alias=AliasPath("baseline", "endpoints")
    )

    def rebuilt(self) -> dict[str, Any]:
        """The result.json of the checked values only (unknown keys dropped)."""
        data = self.model_dump(
            by_alias=True,
            include={"schema_", "verdict", "outcome", "reasons", "target", "totals", "suites"},
        )
        data["duration_s"] = self.duration_s
        if self.stress is not None:
            self.stress.metrics = dict(self.stress_metrics)
            data["stress"] = self.stress.to_json()
        if self.cold_start is not None:
            data["cold_start"] = self.cold_start.model_dump(exclude_none=True)
        if self.baseline is not None:
            data["baseline"] = self.baseline.to_json()
        return data


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
    raw = _read(path, MAX_RESULT_BYTES, "the gate-results artifact")
    data = _parse(path, raw)
    if not isinstance(data, dict) or data.get("schema") != 1:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ArtifactRefused(f"{path}: not a schema 1 result.json (schema is {found!r})")
    try:  # from the JSON text: strict mode reads the dataclasses from JSON objects
        model = _Result.model_validate_json(raw)
    except ValidationError as exc:
        raise ArtifactRefused(f"{path}: not a valid schema 1 result: {_first(exc)}") from None
    claim_path = path.with_name(CLAIM_FILE)
    if claim_path.exists() or claim_path.is_symlink():
        _check_claim(claim_path, ctx)
    try:
        return GateResult.from_json(model.rebuilt())
    except ValueError as exc:
        raise ArtifactRefused(f"{path}: {exc}") from None


def _read_json(path: Path, limit: int, what: str) -> Any:
    return _parse(path, _read(path, limit, what))


def _read(path: Path, limit: int, what: str) -> bytes:
    if path.is_symlink():
        raise ArtifactRefused(f"{path}: is a symbolic link; {what} must hold plain files")
    if not path.is_file():
        raise ArtifactRefused(
            f"{path}: not found; was {what} uploaded by the pull request's run? (it uploads "
            "nothing when the gate could not start, or the run was cancelled)"
        )
    size = path.stat().st_size
    raw = path.read_bytes() if size <= limit else b""
    if size > limit or len(raw) > limit:  # (it may grow between the two looks)
        raise ArtifactRefused(
            f"{path}: {max(size, len(raw))} bytes, more than the {limit} bytes allowed"
        )
    return raw


def _parse(path: Path, raw: bytes) -> Any:
    try:
        return json.loads(raw)
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
    loc = list(error["loc"])
    if loc[:2] == ["stress", "metrics"] and len(loc) > 3:
        del loc[3]  # which kind of metric pydantic tried (trend, rate): not a key of the file
    where = ".".join(str(part) for part in loc) or "(top)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"
