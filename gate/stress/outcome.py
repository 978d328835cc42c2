"""From measured data to a suite result: thresholds judged, generator checked, summary built.

Shared by `gate run` (one machine, several worker processes) and `gate merge` (several
machines): both hand over one merged `Snapshot` whose `meta` carries the run's settings, so the
verdict on merged shards is computed exactly like the verdict of a single run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from gate.config.thresholds import Judgement, Threshold, evaluate, parse_threshold
from gate.model import (
    RateStats,
    RunStatus,
    StressSummary,
    SuiteRun,
    ThresholdResult,
    TimelinePoint,
    TrendStats,
)
from gate.redact import Redactor
from gate.stress.junit import write_junit
from gate.stress.meta import RunMeta
from gate.stress.metrics import Snapshot, trend_summary

SHARD_FILE = "histograms.json"
JUNIT_FILE = "stress.xml"


@dataclass
class StressRun:
    """What `run_stress` returns: the suite for the policy and the `stress` summary."""

    suite: SuiteRun
    summary: StressSummary


def read_baseline(path: Path | None) -> Snapshot | None:
    """The baseline's stress data for relative thresholds (None: none, or unreadable; the
    command already refused an unreadable one it was given)."""
    if path is None:
        return None
    try:
        return Snapshot.read(path)
    except ValueError:
        return None


def thresholds_from_meta(meta: RunMeta) -> list[Threshold]:
    """Rebuild the thresholds stored in a run's meta (key, expression, abort, delay)."""
    return [_threshold(key, expr, abort, delay) for key, expr, abort, delay in meta.thresholds]


def _threshold(key: str, expr: str, abort: bool, delay: float) -> Threshold:
    parsed = parse_threshold(key, expr, abort_on_fail=abort)
    return Threshold(parsed.key, parsed.expression, abort, delay)


def saturation(snap: Snapshot) -> str | None:
    """Why the generator, not the target, limited the run (None when it kept up)."""
    meta = snap.meta
    scheduled = snap.counters.get("scheduled", 0)
    dropped = snap.counters.get("dropped_iterations", 0)
    late = snap.counters.get("late", 0)
    if scheduled == 0:
        return None
    late_frac = late / max(scheduled - dropped, 1)
    dropped_frac = dropped / scheduled
    too_late = late_frac > meta.max_late_fraction
    too_many_dropped = dropped_frac > meta.max_dropped_fraction
    if not (too_late or too_many_dropped):
        return None
    cpu = meta.cpu
    limit = meta.max_in_flight
    parts = [f"{late_frac:.0%} of requests started late (> {meta.late_after_ms:g} ms)"]
    if dropped:
        parts.append(f"{dropped_frac:.0%} dropped at max_in_flight={limit}")
    parts.append(f"worker CPU {cpu:.0%}")
    if too_late or cpu >= 0.9:
        advice = "lower the rate or add shards (gate merge)"
    else:
        advice = (
            f"the target answered too slowly to keep within {limit} requests in flight; "
            "raise max_in_flight if this load is intended"
        )
    return f"generator saturated: {', '.join(parts)}: {advice}"


def finish(
    snap: Snapshot,
    *,
    out_dir: Path,
    secrets: frozenset[str],
    crash: str | None = None,
    baseline: Snapshot | None = None,
) -> StressRun:
    """Judge, write `out_dir/stress/{histograms.json,stress.xml}` and build the result.

    `baseline` (an earlier run's data) resolves thresholds written relative to it."""
    redact = Redactor(secrets)
    meta = snap.meta
    thresholds = thresholds_from_meta(meta)
    judgements = [evaluate(t, snap, baseline) for t in thresholds]
    saturated = meta.saturation_reason or saturation(snap)
    meta.saturation_reason = saturated
    aborted = meta.aborted
    # the file is an artifact; a target read from ${VAR} is a secret
    meta.target = redact(meta.target)
    stress_dir = out_dir / "stress"
    snap.write(stress_dir / SHARD_FILE)
    elapsed = meta.elapsed_s
    problem = crash or (f"aborted: {aborted}" if aborted else None)
    junit = write_junit(
        stress_dir / JUNIT_FILE,
        [_redacted(j, redact) for j in judgements],
        run_problem=redact(problem) if problem else None,
        duration_s=elapsed,
    )
    status, detail = RunStatus.COMPLETED, ""
    empty = [j.threshold.name for j in judgements if j.ok is None and not j.no_baseline]
    if crash:
        status, detail = RunStatus.CRASHED, crash
    elif saturated:
        status, detail = RunStatus.INCONCLUSIVE, str(saturated)
    elif empty:
        status = RunStatus.INCONCLUSIVE
        detail = f"no samples for threshold(s): {', '.join(empty)}; cannot judge them"
    suite = SuiteRun("stress", [junit], status, redact(detail), elapsed)
    return StressRun(suite, summarize(snap, judgements, redact))


def _redacted(j: Judgement, redact: Redactor) -> Judgement:
    return Judgement(j.threshold, j.value, j.ok, redact(j.message), j.no_baseline)


def summarize(snap: Snapshot, judgements: list[Judgement], redact: Redactor) -> StressSummary:
    """The `stress` object of result.json (`gate.model.StressSummary`; docs/reports.md)."""
    meta = snap.meta
    elapsed = meta.elapsed_s
    requests = snap.counters.get("http_reqs", 0)
    metrics: dict[str, TrendStats | RateStats] = {}
    for key, hist in sorted(snap.histograms.items()):
        if hist.get_total_count():
            metrics[redact(key)] = trend_summary(hist)
    for key, (hits, total) in sorted(snap.rates.items()):
        metrics[redact(key)] = RateStats(round(hits / total, 6) if total else None, total)
    for key in ("http_reqs", "dropped_iterations", "ws_sessions"):
        if key in snap.counters:
            n = snap.counters[key]
            metrics[key] = RateStats(round(n / elapsed, 3) if elapsed else 0.0, n)
    return StressSummary(
        duration_s=round(elapsed, 3),
        target_rate=meta.target_rate,
        requests=requests,
        dropped=snap.counters.get("dropped_iterations", 0),
        late=snap.counters.get("late", 0),
        achieved_rate=round(requests / elapsed, 3) if elapsed else 0.0,
        saturated=bool(meta.saturation_reason),
        saturation_reason=meta.saturation_reason,
        aborted=redact(meta.aborted) if meta.aborted else None,
        workers=meta.workers,
        shards=meta.shards,
        metrics=metrics,
        thresholds=[
            ThresholdResult(
                metric=redact(str(j.threshold.key)),
                expression=j.threshold.expression.source,
                value=None if j.value is None else round(j.value, 3),
                ok=j.ok,
                message=redact(j.message),
            )
            for j in judgements
        ],
        timeline=timeline(snap, elapsed),
        status_counts=dict(sorted(snap.status_counts.items())),
        errors=dict(sorted(snap.errors.items(), key=lambda kv: -kv[1])),
        ws_closes=dict(sorted(snap.ws_closes.items())),
    )


def timeline(snap: Snapshot, elapsed: float) -> list[TimelinePoint]:
    """<= 60 points: completed rate, p50/p95/p99 (ms) and errors per window."""
    width = snap.window_s
    used = min(len(snap.timeline), max(math.ceil(elapsed / width), 1)) if snap.timeline else 0
    points: list[TimelinePoint] = []
    for i, window in enumerate(snap.timeline[:used]):
        hist = window.hist
        empty = hist.get_total_count() == 0
        pct = {} if empty else hist.get_percentile_to_value_dict([50.0, 95.0, 99.0])
        points.append(
            TimelinePoint(
                t=round((i + 1) * width, 3),
                rate=round(window.count / width, 3),
                p50=None if empty else round(pct[50.0] / 1000, 3),
                p95=None if empty else round(pct[95.0] / 1000, 3),
                p99=None if empty else round(pct[99.0] / 1000, 3),
                errors=window.errors,
            )
        )
    return points
