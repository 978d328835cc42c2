"""The data every stage hands to the next: suite runs in, a gate result out.

Only plain dataclasses and enums live here so that every other module (reader, policy, reports,
publishers, runner, stress engine) can depend on this one without depending on each other.
`GateResult.to_json` / `GateResult.from_json` are the `result.json` contract (docs/design.md).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


class Verdict(StrEnum):
    PASS = "pass"
    BLOCK = "block"


class Outcome(StrEnum):
    """Outcome of a suite or of the whole gate, ordered from best to worst by `severity`."""

    PASSED = "passed"
    WARNED = "warned"
    INCONCLUSIVE = "inconclusive"
    FAILED = "failed"
    ERROR = "error"

    @property
    def severity(self) -> int:
        return _OUTCOME_SEVERITY[self]

    @staticmethod
    def worst(outcomes: list[Outcome]) -> Outcome:
        """The most severe of `outcomes` (PASSED for an empty list)."""
        return max(outcomes, key=lambda o: o.severity, default=Outcome.PASSED)


_OUTCOME_SEVERITY = {
    Outcome.PASSED: 0,
    Outcome.WARNED: 1,
    Outcome.INCONCLUSIVE: 2,
    Outcome.FAILED: 3,
    Outcome.ERROR: 4,
}


class CaseStatus(StrEnum):
    """What one unique test ended as, after its reruns were folded (docs/design.md)."""

    PASSED = "passed"
    FLAKY = "flaky"  # failed at least once, then passed: counted as passed and as flaky
    SKIPPED = "skipped"
    FAILED = "failed"
    ERROR = "error"


class RunStatus(StrEnum):
    """How a suite's run ended, as seen by whoever ran it (runner, stress engine, `gate report`)."""

    COMPLETED = "completed"  # ran to the end; its JUnit decides
    NOT_RUN = "not_run"  # skipped on purpose (an earlier suite blocked): inconclusive
    TIMED_OUT = "timed_out"  # killed at its deadline: error
    CRASHED = "crashed"  # could not run or died (pytest internal error, bad test file): error
    INCONCLUSIVE = "inconclusive"  # ran, but its data cannot be trusted (saturated generator)


@dataclass(slots=True)
class SuiteRun:
    """What a runner hands to the policy for one suite: its JUnit files and how the run ended."""

    name: str
    junit: list[Path] = field(default_factory=list)
    status: RunStatus = RunStatus.COMPLETED
    detail: str = ""  # for anything but COMPLETED: what happened, for a person
    duration_s: float | None = None  # measured by the runner; else summed from the JUnit


@dataclass(slots=True)
class Totals:
    """Unique-test counts. `flaky` is a subset of `passed`; `quarantined` is counted on its own."""

    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0
    quarantined: int = 0

    def add(self, other: Totals) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(slots=True)
class Problem:
    """One non-passed test (failed, error, skipped, flaky or quarantined), bounded in size."""

    id: str
    outcome: str  # a CaseStatus value, or "quarantined"
    message: str = ""
    duration_s: float = 0.0
    file: str | None = None
    line: int | None = None
    tier: str | None = None  # p1..p6 when the test carries a priority marker
    detail: str = ""  # bounded trace / output, for the folded part of reports

    def to_json(self) -> dict[str, Any]:
        # not `asdict`: it deep-copies field by field, 20x slower for 100,000 problems
        return {k: v for k in _PROBLEM_FIELDS if (v := getattr(self, k)) is not None and v != ""}


_PROBLEM_FIELDS = tuple(Problem.__dataclass_fields__)


@dataclass(slots=True)
class SuiteResult:
    name: str
    outcome: Outcome
    totals: Totals = field(default_factory=Totals)
    duration_s: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    blocking: bool = True
    # Problems listed without their message: the reader's text budget was spent (they still
    # carry id and outcome). Written to result.json only when not zero.
    messages_cut: int = 0

    def to_json(self, *, problems: bool = True) -> dict[str, Any]:
        """As in result.json; `problems=False` leaves the list empty (a streaming writer's)."""
        data = {
            "name": self.name,
            "outcome": str(self.outcome),
            "totals": self.totals.to_json(),
            "duration_s": round(self.duration_s, 3),
            "problems": [p.to_json() for p in self.problems] if problems else [],
            "reasons": list(self.reasons),
            "blocking": self.blocking,
        }
        if self.messages_cut:
            data["messages_cut"] = self.messages_cut
        return data


@dataclass(slots=True)
class GateResult:
    verdict: Verdict
    outcome: Outcome
    reasons: list[str] = field(default_factory=list)
    target: str | None = None
    totals: Totals = field(default_factory=Totals)
    suites: list[SuiteResult] = field(default_factory=list)
    stress: StressSummary | None = None
    duration_s: float = 0.0
    # readiness timing: {"ready_s", "first_ms", "attempts"} (None when readiness was not waited)
    cold_start: dict[str, Any] | None = None
    baseline: BaselineReport | None = None  # only with --baseline (docs/baseline.md)

    def to_json(self, *, problems: bool = True) -> dict[str, Any]:
        """As in result.json; `problems=False` leaves the suites' problem lists empty."""
        return {
            "schema": SCHEMA_VERSION,
            "verdict": str(self.verdict),
            "outcome": str(self.outcome),
            "reasons": list(self.reasons),
            "target": self.target,
            "totals": self.totals.to_json(),
            "suites": [s.to_json(problems=problems) for s in self.suites],
            "stress": None if self.stress is None else self.stress.to_json(),
            "duration_s": round(self.duration_s, 3),
            "cold_start": self.cold_start,
            **({"baseline": self.baseline.to_json()} if self.baseline is not None else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateResult:
        """Rebuild a result from `result.json`; raises ValueError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(
                f"expected schema {SCHEMA_VERSION}, found {data.get('schema')!r}; "
                "this result.json was written by another version of deploy-gate"
            )
        try:
            result = cls(
                verdict=Verdict(data["verdict"]),
                outcome=Outcome(data["outcome"]),
                reasons=[str(r) for r in data.get("reasons", [])],
                target=data.get("target"),
                totals=Totals(**data.get("totals", {})),
                suites=[_suite_from_json(s) for s in data.get("suites", [])],
                stress=_stress_from_json(data.get("stress")),
                duration_s=float(data.get("duration_s", 0.0)),
                cold_start=data.get("cold_start"),
                baseline=(
                    BaselineReport.from_json(data["baseline"])
                    if isinstance(data.get("baseline"), dict)
                    else None
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid result.json content: {exc!r}") from exc
        passes = result.outcome in (Outcome.PASSED, Outcome.WARNED)
        if (result.verdict is Verdict.PASS) != passes:  # never post a pass the outcome denies
            raise ValueError(
                f"invalid result.json content: verdict {result.verdict} contradicts "
                f"outcome {result.outcome}"
            )
        return result


def _suite_from_json(data: dict[str, Any]) -> SuiteResult:
    return SuiteResult(
        name=str(data["name"]),
        outcome=Outcome(data["outcome"]),
        totals=Totals(**data.get("totals", {})),
        duration_s=float(data.get("duration_s", 0.0)),
        problems=[Problem(**p) for p in data.get("problems", [])],
        reasons=[str(r) for r in data.get("reasons", [])],
        blocking=bool(data.get("blocking", True)),
        messages_cut=int(data.get("messages_cut", 0)),
    )


def _stress_from_json(data: Any) -> StressSummary | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError(f"stress: expected an object or null, found {type(data).__name__}")
    return StressSummary.from_json(data)


# --- the `stress` object of result.json ---------------------------------------------------------
#
# Read leniently: result.json may come from another version or a hand edit, and the reports must
# still render. A value of the wrong type becomes None (shown as "–"), an entry of the wrong shape
# is dropped; nothing here raises on content.


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _counts(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k): n for k, v in value.items() if (n := _int(v)) is not None}


TREND_FIELDS = ("count", "min", "mean", "p50", "p90", "p95", "p99", "max")


@dataclass(slots=True)
class TrendStats:
    """A latency metric: sample count and milliseconds."""

    count: int | None = None
    min: float | None = None
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrendStats:
        return cls(_int(data.get("count")), *(_num(data.get(k)) for k in TREND_FIELDS[1:]))


@dataclass(slots=True)
class RateStats:
    """A rate metric: a failure fraction (`http_req_failed`) or a throughput (`http_reqs`)."""

    rate: float | None = None
    count: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"rate": self.rate, "count": self.count}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RateStats:
        return cls(_num(data.get("rate")), _int(data.get("count")))


@dataclass(slots=True)
class ThresholdResult:
    metric: str = ""
    expression: str = ""
    value: float | None = None
    ok: bool | None = None  # None: no samples, or (baseline thresholds) no baseline
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ThresholdResult:
        ok = data.get("ok")
        return cls(
            metric=str(data.get("metric", "")),
            expression=str(data.get("expression", "")),
            value=_num(data.get("value")),
            ok=ok if isinstance(ok, bool) else None,
            message=str(data.get("message", "")),
        )


@dataclass(slots=True)
class TimelinePoint:
    """One window of the run: seconds since start, completed rate, percentiles (ms), errors."""

    t: float
    rate: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    errors: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TimelinePoint | None:
        t = _num(data.get("t"))
        if t is None:
            return None
        return cls(
            t,
            _num(data.get("rate")),
            _num(data.get("p50")),
            _num(data.get("p95")),
            _num(data.get("p99")),
            _int(data.get("errors")) or 0,
        )


@dataclass(slots=True)
class StressSummary:
    """The `stress` object of result.json: what the load run measured and how it was judged.

    `metrics` keeps the engine's order (latency trends, then rates, then throughput counters);
    a metric with a `rate` is a `RateStats`, any other a `TrendStats`.
    """

    duration_s: float | None = None
    target_rate: float | None = None
    requests: int | None = None
    dropped: int | None = None
    late: int | None = None
    achieved_rate: float | None = None
    saturated: bool = False
    saturation_reason: str | None = None
    aborted: str | None = None
    workers: int | None = None
    shards: int | None = None
    metrics: dict[str, TrendStats | RateStats] = field(default_factory=dict)
    thresholds: list[ThresholdResult] = field(default_factory=list)
    timeline: list[TimelinePoint] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    ws_closes: dict[str, int] = field(default_factory=dict)

    def trends(self) -> dict[str, TrendStats]:
        return {k: m for k, m in self.metrics.items() if isinstance(m, TrendStats)}

    def rates(self) -> dict[str, RateStats]:
        return {k: m for k, m in self.metrics.items() if isinstance(m, RateStats)}

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration_s,
            "target_rate": self.target_rate,
            "requests": self.requests,
            "dropped": self.dropped,
            "late": self.late,
            "achieved_rate": self.achieved_rate,
            "saturated": self.saturated,
            "saturation_reason": self.saturation_reason,
            "aborted": self.aborted,
            "workers": self.workers,
            "shards": self.shards,
            "metrics": {k: m.to_json() for k, m in self.metrics.items()},
            "thresholds": [t.to_json() for t in self.thresholds],
            "timeline": [p.to_json() for p in self.timeline],
            "status_counts": dict(self.status_counts),
            "errors": dict(self.errors),
            "ws_closes": dict(self.ws_closes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StressSummary:
        metrics: dict[str, TrendStats | RateStats] = {}
        raw_metrics = data.get("metrics")
        for key, m in raw_metrics.items() if isinstance(raw_metrics, dict) else []:
            if isinstance(m, dict):
                metrics[str(key)] = (RateStats if "rate" in m else TrendStats).from_json(m)
        raw_thresholds = data.get("thresholds")
        raw_timeline = data.get("timeline")
        points = [
            TimelinePoint.from_json(p)
            for p in (raw_timeline if isinstance(raw_timeline, list) else [])
            if isinstance(p, dict)
        ]
        return cls(
            duration_s=_num(data.get("duration_s")),
            target_rate=_num(data.get("target_rate")),
            requests=_int(data.get("requests")),
            dropped=_int(data.get("dropped")),
            late=_int(data.get("late")),
            achieved_rate=_num(data.get("achieved_rate")),
            saturated=data.get("saturated") is True,
            saturation_reason=_text(data.get("saturation_reason")),
            aborted=_text(data.get("aborted")),
            workers=_int(data.get("workers")),
            shards=_int(data.get("shards")),
            metrics=metrics,
            thresholds=[
                ThresholdResult.from_json(t)
                for t in (raw_thresholds if isinstance(raw_thresholds, list) else [])
                if isinstance(t, dict)
            ],
            timeline=[p for p in points if p is not None],
            status_counts=_counts(data.get("status_counts")),
            errors=_counts(data.get("errors")),
            ws_closes=_counts(data.get("ws_closes")),
        )


# --- the `baseline` object of result.json (docs/baseline.md) -----------------------------------


def _strs(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


@dataclass(slots=True)
class LatencyStats:
    """One side of an endpoint's comparison: requests, percentiles (ms), error rate."""

    count: int | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    error_rate: float | None = None

    @classmethod
    def from_json(cls, data: Any) -> LatencyStats:
        d = data if isinstance(data, dict) else {}
        return cls(
            _int(d.get("count")),
            _num(d.get("p50")),
            _num(d.get("p95")),
            _num(d.get("p99")),
            _num(d.get("error_rate")),
        )


@dataclass(slots=True)
class EndpointComparison:
    """An endpoint (or `total`) now against the baseline, and the verdict on it."""

    name: str
    now: LatencyStats
    base: LatencyStats
    verdict: str  # "regressed" | "improved" | "unchanged" | "not compared"
    p: float | None = None  # one-sided Mann-Whitney U: slower now
    shift_ms: float | None = None  # Hodges-Lehmann: typical change per request
    error_p: float | None = None  # one-sided two-proportion test: more errors now
    detail: str = ""

    @classmethod
    def from_json(cls, data: Any) -> EndpointComparison:
        d = data if isinstance(data, dict) else {}
        return cls(
            str(d.get("name", "")),
            LatencyStats.from_json(d.get("now")),
            LatencyStats.from_json(d.get("base")),
            str(d.get("verdict", "")),
            _num(d.get("p")),
            _num(d.get("shift_ms")),
            _num(d.get("error_p")),
            str(d.get("detail", "")),
        )


@dataclass(slots=True)
class TestDeltas:
    """Test ids (`suite: id`) by how they changed since the baseline."""

    new_failures: list[str] = field(default_factory=list)
    known_failures: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)  # failing then; not failing now
    missing: list[str] = field(default_factory=list)  # suites or tests that did not run now

    @classmethod
    def from_json(cls, data: Any) -> TestDeltas:
        d = data if isinstance(data, dict) else {}
        return cls(
            *(_strs(d.get(k)) for k in ("new_failures", "known_failures", "fixed", "missing"))
        )


@dataclass(slots=True)
class BaselineSource:
    """Where the baseline came from: its folder and, when it ran in Actions, run, sha, time."""

    path: str
    run_url: str | None = None
    sha: str | None = None
    time: str | None = None
    verdict: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> BaselineSource:
        d = data if isinstance(data, dict) else {}
        return cls(
            str(d.get("path", "")),
            _text(d.get("run_url")),
            _text(d.get("sha")),
            _text(d.get("time")),
            _text(d.get("verdict")),
        )

    def label(self) -> str:
        """`<sha> (<run>)` for reasons, or the folder when neither is known."""
        sha = (self.sha or "")[:12]
        if sha and self.run_url:
            return f"{sha} ({self.run_url})"
        return sha or self.run_url or self.path


@dataclass(slots=True)
class BaselineReport:
    source: BaselineSource
    comparable: bool = True
    why_not: list[str] = field(default_factory=list)  # why the stress data was not compared
    endpoints: list[EndpointComparison] = field(default_factory=list)
    tests: TestDeltas = field(default_factory=TestDeltas)
    findings: list[str] = field(default_factory=list)  # the reasons the comparison added
    base_timeline: list[TimelinePoint] = field(default_factory=list)  # for the chart

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BaselineReport:
        endpoints = data.get("endpoints")
        timeline = data.get("base_timeline")
        points = [
            TimelinePoint.from_json(p)
            for p in (timeline if isinstance(timeline, list) else [])
            if isinstance(p, dict)
        ]
        return cls(
            source=BaselineSource.from_json(data.get("source")),
            comparable=data.get("comparable") is not False,
            why_not=_strs(data.get("why_not")),
            endpoints=[
                EndpointComparison.from_json(e)
                for e in (endpoints if isinstance(endpoints, list) else [])
            ],
            tests=TestDeltas.from_json(data.get("tests")),
            findings=_strs(data.get("findings")),
            base_timeline=[p for p in points if p is not None],
        )
