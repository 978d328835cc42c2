"""The policy: one suite's folded JUnit (and how its run ended) -> an outcome with reasons.

Every reason is one sentence a person can act on, starting with the suite's name
("smoke: 2 tests failed: test_a, test_b"). The suite's outcome is the worst of its findings;
the gate's outcome is the worst suite outcome, and only `passed` and `warned` pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from gate.config.policy import PolicyConfig, QuarantineEntry, SuitePolicy
from gate.junit import FoldedCase, JUnitData
from gate.junit.text import clean_name
from gate.model import (
    CaseStatus,
    Outcome,
    Problem,
    RunStatus,
    SuiteResult,
    SuiteRun,
    Totals,
    Verdict,
)

_SYMPTOM_CHARS = 160
_NAMES_SHOWN = 5
_RUN_STATUS = {
    RunStatus.NOT_RUN: (Outcome.INCONCLUSIVE, "did not run"),
    RunStatus.INCONCLUSIVE: (Outcome.INCONCLUSIVE, "inconclusive"),
    RunStatus.TIMED_OUT: (Outcome.ERROR, "timed out"),
    RunStatus.CRASHED: (Outcome.ERROR, "crashed"),
}
_PROBLEM_ORDER = {"error": 0, "failed": 1, "flaky": 2, "quarantined": 3, "skipped": 4}


@dataclass(slots=True)
class _Findings:
    suite: str
    advisory: bool
    items: list[tuple[Outcome, str]] = field(default_factory=list)

    def add(self, outcome: Outcome, text: str) -> None:
        if self.advisory and outcome.severity > Outcome.WARNED.severity:
            outcome, text = Outcome.WARNED, f"{text} (advisory suite: warns only)"
        self.items.append((outcome, f"{self.suite}: {text}"))


def judge_suite(
    run: SuiteRun, data: JUnitData, policy: PolicyConfig, redact: Callable[[str], str]
) -> SuiteResult:
    """Apply `policy` to one suite's JUnit data and run status."""
    own = policy.for_suite(run.name)
    findings = _Findings(run.name, advisory=not own.blocking)
    if run.status is not RunStatus.COMPLETED:
        outcome, what = _RUN_STATUS[run.status]
        detail = clean_name(run.detail, redact) or "no detail given"  # one line, bounded
        findings.add(outcome, f"{what}: {detail}")
    _unreadable(data.errors, findings)
    _nameless(data.nameless, findings)

    totals = Totals()
    buckets = _sort_cases(run.name, data.cases, policy.quarantine)
    totals.passed = data.passed
    _attribute_counts(data, totals, findings)
    _failures(buckets, policy, totals, findings)
    _flaky(buckets["flaky"], own.flaky or policy.flaky, totals, findings)
    _quarantined(buckets["quarantined"], totals, findings)
    skipped = len(buckets["skipped"]) + data.from_attributes.skipped
    totals.skipped = skipped
    totals.tests = totals.passed + totals.failed + totals.errors + skipped + totals.quarantined
    _skips_and_minimum(run, own, policy, totals, findings)

    problems = _problems(buckets)
    outcome = Outcome.worst([o for o, _ in findings.items])
    return SuiteResult(
        name=run.name,
        outcome=outcome,
        totals=totals,
        duration_s=run.duration_s if run.duration_s is not None else data.duration_s,
        problems=problems,
        reasons=[text for _, text in findings.items],
        blocking=own.blocking,
        messages_cut=data.messages_cut,
    )


def combine(suites: list[SuiteResult]) -> tuple[Verdict, Outcome, list[str]]:
    """The gate's verdict, outcome and reasons from its suites (worst outcome wins)."""
    if not suites:
        return Verdict.BLOCK, Outcome.INCONCLUSIVE, ["no suite ran: there is nothing to decide on"]
    outcome = Outcome.worst([s.outcome for s in suites])
    reasons = [r for s in suites for r in s.reasons]
    verdict = Verdict.PASS if outcome in (Outcome.PASSED, Outcome.WARNED) else Verdict.BLOCK
    return verdict, outcome, reasons


def _unreadable(errors: list[str], findings: _Findings) -> None:
    for error in errors[:_NAMES_SHOWN]:
        findings.add(Outcome.ERROR, error)
    if len(errors) > _NAMES_SHOWN:
        findings.add(Outcome.ERROR, f"{len(errors) - _NAMES_SHOWN} more inputs could not be read")


def _nameless(count: int, findings: _Findings) -> None:
    """Without names reruns cannot be told apart from other tests: say so (docs/junit.md)."""
    if count:
        findings.add(
            Outcome.WARNED,
            f"{_tests(count)} had no name (the producer wrote no name attribute): each is "
            "counted as its own test, so reruns of them cannot be recognised",
        )


def _sort_cases(
    suite: str, cases: list[FoldedCase], quarantine: list[QuarantineEntry]
) -> dict[str, list[tuple[FoldedCase, str]]]:
    """Cases by kind; quarantined ones apart, with the entry's reason."""
    entries = [q for q in quarantine if q.suite in (None, suite)]
    buckets: dict[str, list[tuple[FoldedCase, str]]] = {k: [] for k in _PROBLEM_ORDER}
    if not entries:  # the common case: no quarantine for this suite
        by_status = {s: buckets[str(s)] for s in CaseStatus if str(s) in buckets}
        for case in cases:  # by the member itself: str() of an enum member is Python code
            by_status[case.status].append((case, ""))
        return buckets
    for case in cases:
        entry = next((q for q in entries if _matches(q.id, case)), None)
        if entry is not None:
            buckets["quarantined"].append((case, entry.reason))
        else:
            buckets[str(case.status)].append((case, ""))
    return buckets


def _matches(pattern: str, case: FoldedCase) -> bool:
    owner = case.id[: -len(case.name) - 2] if case.id.endswith(f"::{case.name}") else ""
    candidates = {case.id, case.name, f"{owner}.{case.name}" if owner else case.name}
    # Equal first: an id copied from a report (`test_x[a-b]`, `GET /?q=*`) matches itself even
    # where `[`, `*` and `?` would be wildcards.
    return pattern in candidates or any(fnmatchcase(c, pattern) for c in candidates)


def _blocks(case: FoldedCase, policy: PolicyConfig) -> bool:
    if case.tier is None:
        return policy.untiered == "block"
    return case.tier in policy.block_tiers


def _names(
    cases: list[tuple[FoldedCase, str]], with_reason: bool = False, symptom: bool = False
) -> str:
    """The first few test names; with `symptom`, the first one followed by its message."""
    shown = [f"{c.name} ({r})" if with_reason and r else c.name for c, r in cases[:_NAMES_SHOWN]]
    if symptom and shown:
        shown[0] += _symptom(cases[0][0].message)
    more = len(cases) - _NAMES_SHOWN
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _symptom(message: str) -> str:
    """A failure's first message line, so the reason says what went wrong and not only where."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    if len(line) > _SYMPTOM_CHARS:
        line = line[: _SYMPTOM_CHARS - 1] + "…"
    return f" ({line})" if line else ""


def _tests(count: int) -> str:
    return f"{count} test{'s' if count != 1 else ''}"


def _attribute_counts(data: JUnitData, totals: Totals, findings: _Findings) -> None:
    counts = data.from_attributes
    if not counts.tests and not counts.failed and not counts.errors:
        return
    totals.failed += counts.failed
    totals.errors += counts.errors
    totals.passed += max(0, counts.tests - counts.failed - counts.errors - counts.skipped)
    bad = counts.failed + counts.errors
    if bad:
        findings.add(
            Outcome.FAILED,
            f"{_tests(bad)} failed according to <testsuite> attributes of a file that lists "
            "no testcases",
        )


def _failures(
    buckets: dict[str, list[tuple[FoldedCase, str]]],
    policy: PolicyConfig,
    totals: Totals,
    findings: _Findings,
) -> None:
    totals.failed += len(buckets["failed"])
    totals.errors += len(buckets["error"])
    for kind, verb in (("failed", "failed"), ("error", "errored")):
        blocking = [c for c in buckets[kind] if _blocks(c[0], policy)]
        warning = [c for c in buckets[kind] if not _blocks(c[0], policy)]
        if blocking:
            findings.add(
                Outcome.FAILED,
                f"{_tests(len(blocking))} {verb}: {_names(blocking, symptom=True)}",
            )
        if warning:
            tiers = sorted({c.tier or "untiered" for c, _ in warning})
            findings.add(
                Outcome.WARNED,
                f"{_tests(len(warning))} {verb} in non-blocking tiers ({', '.join(tiers)}): "
                f"{_names(warning)}",
            )


def _flaky(
    cases: list[tuple[FoldedCase, str]], mode: str, totals: Totals, findings: _Findings
) -> None:
    totals.flaky = len(cases)
    if not cases or mode == "ignore":
        return
    outcome = Outcome.FAILED if mode == "block" else Outcome.WARNED
    findings.add(outcome, f"{_tests(len(cases))} flaky (failed, then passed): {_names(cases)}")


def _quarantined(cases: list[tuple[FoldedCase, str]], totals: Totals, findings: _Findings) -> None:
    totals.quarantined = len(cases)
    flaky = sum(1 for c, _ in cases if c.status is CaseStatus.FLAKY)
    totals.passed -= flaky  # a quarantined flaky test is counted as quarantined only
    if cases:
        findings.add(
            Outcome.WARNED,
            f"{_tests(len(cases))} quarantined and not passing: {_names(cases, with_reason=True)}",
        )


def _skips_and_minimum(
    run: SuiteRun, own: SuitePolicy, policy: PolicyConfig, totals: Totals, findings: _Findings
) -> None:
    if run.status is not RunStatus.COMPLETED:
        return  # the run status already explains why there is little or no data
    budget = own.skip_budget if own.skip_budget is not None else policy.skip_budget
    if totals.skipped > budget:
        findings.add(
            Outcome.INCONCLUSIVE,
            f"{totals.skipped} of {_tests(totals.tests)} skipped, budget {budget}",
        )
    minimum = own.min_tests if own.min_tests is not None else policy.min_tests
    ran = totals.tests - totals.skipped - totals.quarantined
    if ran < minimum:
        if totals.tests == 0:
            text = f"no tests found (minimum {minimum})"
        else:
            text = f"{ran} of {_tests(totals.tests)} ran, minimum {minimum}"
        findings.add(Outcome.INCONCLUSIVE, text)


def _problems(buckets: dict[str, list[tuple[FoldedCase, str]]]) -> list[Problem]:
    """The problems in `_PROBLEM_ORDER` of their kind, in reading order within a kind."""
    out: list[Problem] = []
    for kind in sorted(buckets, key=_PROBLEM_ORDER.__getitem__):
        if kind != "quarantined":  # a folded case is its problem (outcome: its status)
            out.extend(case for case, _ in buckets[kind])
            continue
        for case, reason in buckets[kind]:
            out.append(
                Problem(
                    id=case.id,
                    outcome=kind,
                    message=f"quarantined ({reason}); {case.status}: {case.message}",
                    duration_s=case.duration_s,
                    file=case.file,
                    line=case.line,
                    tier=case.tier,
                    detail=case.detail,
                )
            )
    return out
