"""The data every stage hands to the next: suite runs in, a gate result out.

Only plain dataclasses and enums live here so that every other module (reader, policy, reports,
publishers, runner, stress engine) can depend on this one without depending on each other.
`GateResult.to_json` / `GateResult.from_json` are the `result.json` contract (docs/design.md).
"""

from __future__ import annotations

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

    def to_json(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "outcome": str(self.outcome),
            "totals": self.totals.to_json(),
            "duration_s": round(self.duration_s, 3),
            "problems": [p.to_json() for p in self.problems],
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
    stress: dict[str, Any] | None = None
    duration_s: float = 0.0
    # readiness timing: {"ready_s", "first_ms", "attempts"} (None when readiness was not waited)
    cold_start: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "verdict": str(self.verdict),
            "outcome": str(self.outcome),
            "reasons": list(self.reasons),
            "target": self.target,
            "totals": self.totals.to_json(),
            "suites": [s.to_json() for s in self.suites],
            "stress": self.stress,
            "duration_s": round(self.duration_s, 3),
            "cold_start": self.cold_start,
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
                stress=data.get("stress"),
                duration_s=float(data.get("duration_s", 0.0)),
                cold_start=data.get("cold_start"),
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
