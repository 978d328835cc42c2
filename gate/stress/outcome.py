"""From measured data to a suite result: thresholds judged, generator checked, summary built.

Shared by `gate run` (one machine, several worker processes) and `gate merge` (several
machines): both hand over one merged `Snapshot` whose `meta` carries the run's settings, so the
verdict on merged shards is computed exactly like the verdict of a single run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.config.thresholds import Judgement, Threshold, evaluate, parse_threshold
from gate.model import RunStatus, SuiteRun
from gate.redact import Redactor
from gate.stress.junit import write_junit
from gate.stress.metrics import Snapshot, trend_summary

SHARD_FILE = "histograms.json"
JUNIT_FILE = "stress.xml"


@dataclass
class StressRun:
    """What `run_stress` returns: the suite for the policy and the `stress` summary dict."""

    suite: SuiteRun
    summary: dict[str, Any]


def thresholds_from_meta(meta: dict[str, Any]) -> list[Threshold]:
    """Rebuild the thresholds stored in a run's meta (key, expression, abort, delay)."""
    return [
        _threshold(str(key), str(expr), bool(abort), float(delay))
        for key, expr, abort, delay in meta.get("thresholds", [])
    ]


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
    too_late = late_frac > float(meta.get("max_late_fraction", 0.05))
    too_many_dropped = dropped_frac > float(meta.get("max_dropped_fraction", 0.01))
    if not (too_late or too_many_dropped):
        return None
    cpu = float(meta.get("cpu") or 0.0)
    limit = meta.get("max_in_flight", "?")
    parts = [f"{late_frac:.0%} of requests started late (> {meta.get('late_after_ms', 50):g} ms)"]
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
) -> StressRun:
    """Judge, write `out_dir/stress/{histograms.json,stress.xml}` and build the result."""
    redact = Redactor(secrets)
    meta = snap.meta
    thresholds = thresholds_from_meta(meta)
    judgements = [evaluate(t, snap) for t in thresholds]
    saturated = meta.get("saturation_reason") or saturation(snap)
    meta["saturation_reason"] = saturated
    aborted = meta.get("aborted")
    if meta.get("target"):  # the file is an artifact; a target read from ${VAR} is a secret
        meta["target"] = redact(str(meta["target"]))
    stress_dir = out_dir / "stress"
    snap.write(stress_dir / SHARD_FILE)
    elapsed = float(meta.get("elapsed_s") or 0.0)
    problem = crash or (f"aborted: {aborted}" if aborted else None)
    junit = write_junit(
        stress_dir / JUNIT_FILE,
        [_redacted(j, redact) for j in judgements],
        run_problem=redact(problem) if problem else None,
        duration_s=elapsed,
    )
    status, detail = RunStatus.COMPLETED, ""
    empty = [j.threshold.name for j in judgements if j.ok is None]
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
    return Judgement(j.threshold, j.value, j.ok, redact(j.message))


def summarize(snap: Snapshot, judgements: list[Judgement], redact: Redactor) -> dict[str, Any]:
    """The `stress` dict of result.json (shape: docs/reports.md and docs/stress.md)."""
    meta = snap.meta
    elapsed = float(meta.get("elapsed_s") or 0.0)
    requests = snap.counters.get("http_reqs", 0)
    metrics: dict[str, Any] = {}
    for key, hist in sorted(snap.histograms.items()):
        if hist.get_total_count():
            metrics[redact(key)] = trend_summary(hist)
    for key, (hits, total) in sorted(snap.rates.items()):
        metrics[redact(key)] = {"rate": round(hits / total, 6) if total else None, "count": total}
    for key in ("http_reqs", "dropped_iterations", "ws_sessions"):
        if key in snap.counters:
            n = snap.counters[key]
            metrics[key] = {"rate": round(n / elapsed, 3) if elapsed else 0.0, "count": n}
    return {
        "duration_s": round(elapsed, 3),
        "target_rate": meta.get("target_rate"),
        "requests": requests,
        "dropped": snap.counters.get("dropped_iterations", 0),
        "late": snap.counters.get("late", 0),
        "achieved_rate": round(requests / elapsed, 3) if elapsed else 0.0,
        "saturated": bool(meta.get("saturation_reason")),
        "saturation_reason": meta.get("saturation_reason"),
        "aborted": redact(meta["aborted"]) if meta.get("aborted") else None,
        "workers": meta.get("workers"),
        "shards": meta.get("shards", 1),
        "metrics": metrics,
        "thresholds": [
            {
                "metric": redact(str(j.threshold.key)),
                "expression": j.threshold.expression.source,
                "value": None if j.value is None else round(j.value, 3),
                "ok": j.ok,
                "message": redact(j.message),
            }
            for j in judgements
        ],
        "timeline": timeline(snap, elapsed),
        "status_counts": dict(sorted(snap.status_counts.items())),
        "errors": dict(sorted(snap.errors.items(), key=lambda kv: -kv[1])),
        "ws_closes": dict(sorted(snap.ws_closes.items())),
    }


def timeline(snap: Snapshot, elapsed: float) -> list[dict[str, Any]]:
    """<= 60 points: completed rate, p50/p95/p99 (ms) and errors per window."""
    width = snap.window_s
    used = min(len(snap.timeline), max(math.ceil(elapsed / width), 1)) if snap.timeline else 0
    points: list[dict[str, Any]] = []
    for i, window in enumerate(snap.timeline[:used]):
        hist = window.hist
        empty = hist.get_total_count() == 0
        pct = {} if empty else hist.get_percentile_to_value_dict([50.0, 95.0, 99.0])
        points.append(
            {
                "t": round((i + 1) * width, 3),
                "rate": round(window.count / width, 3),
                "p50": None if empty else round(pct[50.0] / 1000, 3),
                "p95": None if empty else round(pct[95.0] / 1000, 3),
                "p99": None if empty else round(pct[99.0] / 1000, 3),
                "errors": window.errors,
            }
        )
    return points


def combine_meta(metas: list[dict[str, Any]]) -> dict[str, Any]:
    """Meta of runs merged together (worker processes or shards): the worst of each."""
    if not metas:
        return {}
    out = dict(metas[0])
    out["elapsed_s"] = max(float(m.get("elapsed_s") or 0.0) for m in metas)
    out["cpu"] = max(float(m.get("cpu") or 0.0) for m in metas)
    out["aborted"] = next((m["aborted"] for m in metas if m.get("aborted")), None)
    out["saturation_reason"] = next(
        (m["saturation_reason"] for m in metas if m.get("saturation_reason")), None
    )
    out["workers"] = sum(int(m.get("workers") or 1) for m in metas)
    return out
