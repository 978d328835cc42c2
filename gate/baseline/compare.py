"""Judging a result against its baseline: latency and error regressions, test deltas.

`compare` takes the result the policy decided and returns it re-decided with the findings:

- stress: per endpoint and in total, a regression needs significance (one-sided Mann-Whitney U
  p < `alpha`) and a practical size (p50 or p95 up by at least `min_increase` and
  `min_increase_ms`); error rates need p < `alpha` (two proportions) and `error_rate_increase`.
  A regression fails the stress suite. A baseline with another load shape is not compared.
- tests: new failures are named in the reasons (the policy already failed their suite); with
  `known_failures = "warn"` a suite whose only failures also failed in the baseline is a warned
  pass; tests that ran in the baseline and not now warn (or block: `missing_tests`).

The baseline never blocks by itself: only what this run measured does.
"""

from __future__ import annotations

import re
from dataclasses import replace

from gate.baseline.source import Baseline
from gate.baseline.stats import (
    Buckets,
    buckets,
    hodges_lehmann,
    mann_whitney,
    percentiles,
    two_proportions,
)
from gate.config.baseline import BaselineConfig
from gate.model import (
    BaselineReport,
    EndpointComparison,
    GateResult,
    LatencyStats,
    Outcome,
    StressSummary,
    SuiteResult,
    TestDeltas,
    Verdict,
)
from gate.policy import combine
from gate.stress.metrics import Snapshot

TOTAL = "total"
DURATION = "http_req_duration"
FAILED = "http_req_failed"
_TAG = re.compile(r"^http_req_duration\{endpoint:(.*)\}$")
NAMES_SHOWN = 10


def compare(
    result: GateResult,
    now: Snapshot | None,
    base: Baseline,
    config: BaselineConfig,
) -> GateResult:
    """`result` re-decided against `base` (a new object; `result` is left as it was)."""
    label = base.source.label()
    report = BaselineReport(source=base.source)
    suites = {s.name: replace(s, reasons=list(s.reasons)) for s in result.suites}
    extra: list[tuple[Outcome, str]] = []

    if base.result.stress is not None:
        report.base_timeline = list(base.result.stress.timeline)
    why_not = _not_comparable(now, base.snapshot, result.stress, base.result.stress, config)
    if why_not:
        report.comparable = False
        report.why_not = why_not
    elif now is not None and base.snapshot is not None:
        report.endpoints = _endpoints(now, base.snapshot, config)
        regressions = _regression_reasons(report.endpoints, label)
        if regressions:
            target = suites.get("stress")
            for reason in regressions:
                if target is not None:
                    target.outcome = Outcome.worst([target.outcome, Outcome.FAILED])
                    target.reasons.append(reason)
                else:
                    extra.append((Outcome.FAILED, reason))
            report.findings.extend(regressions)

    report.tests = _test_deltas(result, base.result)
    report.findings.extend(_judge_tests(report.tests, suites, base, config, label, extra))

    ordered = [suites[s.name] for s in result.suites]
    verdict, outcome, reasons = combine(ordered)
    for worse, reason in extra:
        outcome = Outcome.worst([outcome, worse])
        reasons.append(reason)
    verdict = Verdict.PASS if outcome in (Outcome.PASSED, Outcome.WARNED) else Verdict.BLOCK
    return replace(
        result,
        verdict=verdict,
        outcome=outcome,
        reasons=reasons,
        suites=ordered,
        baseline=report,
    )


# --- stress ------------------------------------------------------------------------------------


def _not_comparable(
    now: Snapshot | None,
    base: Snapshot | None,
    now_summary: StressSummary | None,
    base_summary: StressSummary | None,
    config: BaselineConfig,
) -> list[str]:
    if now is None and base is None:
        return []
    if now is None:
        return ["this run has no stress data; the baseline has"]
    if base is None:
        note = ", only a stress summary" if base_summary is not None else ""
        return [f"the baseline has no stress data (stress/histograms.json){note}"]
    why: list[str] = []
    limit = config.max_load_ratio
    for what, a, b, unit in (
        ("planned rate", now.meta.target_rate, base.meta.target_rate, "req/s"),
        ("planned duration", now.meta.planned_duration_s, base.meta.planned_duration_s, "s"),
    ):
        if a <= 0 or b <= 0 or max(a, b) / min(a, b) > limit:
            why.append(
                f"{what} {b:g} {unit} in the baseline, {a:g} {unit} now "
                f"(more than {limit:g}x apart: max_load_ratio)"
            )
    ours, theirs = set(_endpoint_names(now)), set(_endpoint_names(base))
    if ours != theirs:
        added, gone = sorted(ours - theirs), sorted(theirs - ours)
        parts = [f"new: {', '.join(added[:NAMES_SHOWN])}"] if added else []
        parts += [f"gone: {', '.join(gone[:NAMES_SHOWN])}"] if gone else []
        why.append(f"different endpoints ({'; '.join(parts)})")
    if now.meta.mode != base.meta.mode:
        why.append(f"load model {base.meta.mode} in the baseline, {now.meta.mode} now")
    for side, summary, meta in (
        ("the baseline", base_summary, base.meta),
        ("this run", now_summary, now.meta),
    ):
        if meta.saturation_reason or (summary is not None and summary.saturated):
            why.append(f"the load generator saturated in {side}: its latencies are not trusted")
    return why


def _endpoint_names(snap: Snapshot) -> list[str]:
    return [m.group(1) for key in snap.histograms if (m := _TAG.match(key))]


def _endpoints(now: Snapshot, base: Snapshot, config: BaselineConfig) -> list[EndpointComparison]:
    names = sorted(_endpoint_names(now))
    keys = [
        (name, f"{DURATION}{{endpoint:{name}}}", f"{FAILED}{{endpoint:{name}}}") for name in names
    ]
    if len(names) != 1:
        keys.append((TOTAL, DURATION, FAILED))
    return [_endpoint(name, now, base, duration, failed, config) for name, duration, failed in keys]


def _stats(snap: Snapshot, duration: str, failed: str) -> tuple[LatencyStats, Buckets | None]:
    hist = snap.histograms.get(duration)
    hits, total = snap.rates.get(failed, [0, 0])
    rate = round(hits / total, 6) if total else None
    if hist is None or hist.get_total_count() == 0:
        return LatencyStats(0, None, None, None, rate), None
    dist = buckets(hist)
    pct = percentiles(dist, [50.0, 95.0, 99.0])
    ms = {k: round(v / 1000, 3) for k, v in pct.items()}
    return LatencyStats(dist.total, ms[50.0], ms[95.0], ms[99.0], rate), dist


def _endpoint(
    name: str, now: Snapshot, base: Snapshot, duration: str, failed: str, config: BaselineConfig
) -> EndpointComparison:
    (now_stats, x), (base_stats, y) = _stats(now, duration, failed), _stats(base, duration, failed)
    row = EndpointComparison(name, now_stats, base_stats, "unchanged")
    if x is None or y is None or min(x.total, y.total) < config.min_samples:
        row.verdict = "not compared"
        row.detail = f"fewer than {config.min_samples} requests (min_samples)"
        return row
    test = mann_whitney(x, y)
    row.p = test.p
    row.shift_ms = round(hodges_lehmann(x, y) / 1000, 3)
    slower = _practical(row, config)
    notes: list[str] = []
    if slower is not None and test.p < config.alpha:
        row.verdict = "regressed"
        notes.append(slower)
    elif test.p_less < config.alpha and _practical(_swap(row), config) is not None:
        row.verdict = "improved"
    hits_now, n_now = now.rates.get(failed, [0, 0])
    hits_base, n_base = base.rates.get(failed, [0, 0])
    if n_now and n_base:
        errors = two_proportions(hits_now, n_now, hits_base, n_base)
        row.error_p = errors.p
        rise = errors.now - errors.base
        if errors.p < config.alpha and rise >= config.error_rate_increase:
            row.verdict = "regressed"
            notes.append(
                f"error rate {errors.base:.2%} -> {errors.now:.2%} "
                f"(+{rise * 100:.2f} points, {p_text(errors.p)})"
            )
    row.detail = "; ".join(notes)
    return row


def _swap(row: EndpointComparison) -> EndpointComparison:
    return replace(row, now=row.base, base=row.now)


def _practical(row: EndpointComparison, config: BaselineConfig) -> str | None:
    """The first of p50/p95 that rose by both floors, as `p95 5.4 -> 25.3 ms (+370%`."""
    for stat in ("p50", "p95"):
        was, now = getattr(row.base, stat), getattr(row.now, stat)
        if was is None or now is None:
            continue
        rise = now - was
        if rise >= config.min_increase_ms and rise >= config.min_increase * was:
            pct = f"+{rise / was:.0%}" if was > 0 else "new"
            return f"{stat} {was:.1f} -> {now:.1f} ms ({pct}, {p_text(row.p)})"
    return None


def p_text(p: float | None) -> str:
    if p is None:
        return "p n/a"
    return "p < 1e-9" if p < 1e-9 else f"p = {p:.2g}"


def _regression_reasons(rows: list[EndpointComparison], label: str) -> list[str]:
    regressed = [r for r in rows if r.verdict == "regressed"]
    named = [r for r in regressed if r.name != TOTAL] or regressed  # total only if alone
    return [f"stress: regression: {r.name} {r.detail} vs baseline {label}" for r in named]


# --- tests -------------------------------------------------------------------------------------

_FAILING = ("failed", "error")


def _failing(result: GateResult) -> list[str]:
    return [f"{s.name}: {p.id}" for s in result.suites for p in s.problems if p.outcome in _FAILING]


def _test_deltas(now: GateResult, base: GateResult) -> TestDeltas:
    failing_now, failing_base = _failing(now), set(_failing(base))
    deltas = TestDeltas(
        new_failures=[t for t in failing_now if t not in failing_base],
        known_failures=[t for t in failing_now if t in failing_base],
        fixed=sorted(failing_base - set(failing_now)),
    )
    ran = {s.name: s for s in now.suites}
    for old in base.suites:
        if old.totals.tests == 0:
            continue
        new = ran.get(old.name)
        if new is None:
            deltas.missing.append(f"{old.name}: the suite ({old.totals.tests} tests) did not run")
        elif new.totals.tests < old.totals.tests:
            gone = old.totals.tests - new.totals.tests
            deltas.missing.append(
                f"{old.name}: {gone} of the baseline's {old.totals.tests} tests did not run"
            )
    # a failing test of the baseline whose suite did not run is missing, not fixed
    deltas.fixed = [t for t in deltas.fixed if t.split(": ", 1)[0] in ran]
    return deltas


def _judge_tests(
    deltas: TestDeltas,
    suites: dict[str, SuiteResult],
    base: Baseline,
    config: BaselineConfig,
    label: str,
    extra: list[tuple[Outcome, str]],
) -> list[str]:
    findings: list[str] = []
    for test in deltas.new_failures[:NAMES_SHOWN]:
        findings.append(f"{test}: new failure (not failing in baseline {label})")
    if len(deltas.new_failures) > NAMES_SHOWN:
        findings.append(f"{len(deltas.new_failures) - NAMES_SHOWN} more new failures")
    for name, suite in suites.items():
        reason = _known_only(name, suite, deltas, config, label)
        if reason is not None:
            findings.append(reason)
    # new-failure findings go on their suites' reasons (the suite already failed)
    for finding in findings:
        name = finding.split(": ", 1)[0]
        if name in suites and finding not in suites[name].reasons:
            suites[name].reasons.append(finding)
    worse = Outcome.FAILED if config.missing_tests == "block" else Outcome.WARNED
    for missing in deltas.missing:
        reason = (
            f"{missing} (missing since baseline {label}; missing_tests = {config.missing_tests!r})"
        )
        findings.append(reason)
        name = missing.split(": ", 1)[0]
        if name in suites:
            suites[name].outcome = Outcome.worst([suites[name].outcome, worse])
            suites[name].reasons.append(reason)
        else:
            extra.append((worse, reason))
    return findings


def _known_only(
    name: str, suite: SuiteResult, deltas: TestDeltas, config: BaselineConfig, label: str
) -> str | None:
    """With known_failures = "warn": a failed suite whose failures all failed in the baseline
    too becomes a warned pass (its reasons then name them as known)."""
    if config.known_failures != "warn" or suite.outcome is not Outcome.FAILED:
        return None
    failing = [f"{name}: {p.id}" for p in suite.problems if p.outcome in _FAILING]
    known = set(deltas.known_failures)
    counted = suite.totals.failed + suite.totals.errors
    if not failing or len(failing) != counted or any(t not in known for t in failing):
        return None
    suite.outcome = Outcome.WARNED
    ids = ", ".join(t.split(": ", 1)[1] for t in failing[:NAMES_SHOWN])
    suite.reasons = [
        f"{name}: {len(failing)} known failure(s), also failing in baseline {label} "
        f'(known_failures = "warn"): {ids}'
    ]
    return suite.reasons[0]
