"""Reading the `stress` summary of result.json into rows the renderers format.

The summary is a plain dict (shape: docs/stress.md); it may come from another version or
a hand-edited file, so every field is read defensively: a missing or mistyped value becomes
"–", never an exception in the middle of a report. Metric names and threshold expressions come
from the configuration and tags, so they are returned raw and escaped by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_ROWS = 30
PERCENTILES = ("p50", "p90", "p95", "p99", "max")


@dataclass(frozen=True, slots=True)
class Threshold:
    ok: bool | None
    metric: str
    expression: str
    measured: str


def num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def ms(value: Any) -> str:
    v = num(value)
    if v is None:
        return "–"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def integer(value: Any) -> str:
    v = num(value)
    return "–" if v is None else f"{int(v):,}"


def percent(value: Any) -> str:
    v = num(value)
    return "–" if v is None else f"{v * 100:.2f} %"


def per_second(value: Any) -> str:
    v = num(value)
    return "–" if v is None else f"{v:,.1f}/s"


# Counters the engine stores as {"rate": per second, "count": total} (gate.stress.outcome).
_THROUGHPUT = frozenset({"http_reqs", "dropped_iterations", "ws_sessions", "iterations"})


def is_throughput(metric: str) -> bool:
    """Whether a rate metric is a count per second (`http_reqs`), not a fraction of failures.

    Failure rates (`http_req_failed`, anything ending `_failed`) are fractions shown as %;
    counters (`http_reqs`, `*_reqs`, `*iterations`) are requests per second: "5096.50 %" would
    be a nonsense reading of 5,096.5 requests per second.
    """
    base = metric.split("{", 1)[0].strip()
    if base.endswith("_failed"):
        return False
    return base in _THROUGHPUT or base.endswith(("_reqs", "iterations"))


def rate_value(metric: str, value: Any) -> str:
    return per_second(value) if is_throughput(metric) else percent(value)


def _metrics(stress: dict[str, Any]) -> dict[str, dict[str, Any]]:
    metrics = stress.get("metrics")
    if not isinstance(metrics, dict):
        return {}
    return {str(k): v for k, v in metrics.items() if isinstance(v, dict)}


def split_metric(name: str) -> tuple[str, str | None]:
    """`http_req_duration{endpoint:GET /x}` -> (`http_req_duration`, `GET /x`); untagged: None.

    Any other tag (`{status:500}`) is kept whole as the second part.
    """
    base, brace, rest = name.partition("{")
    if not brace or not rest.endswith("}"):
        return name, None
    tag = rest[:-1]
    key, colon, value = tag.partition(":")
    if colon and key.strip() in ("endpoint", "name"):
        return base.strip(), value.strip()
    return base.strip(), tag


def latency_rows(stress: dict[str, Any]) -> tuple[list[list[str]], int]:
    """Rows `[metric, count, p50, p90, p95, p99, max]` (ms) and how many were left out."""
    rows = [
        [name, integer(m.get("count")), *(ms(m.get(p)) for p in PERCENTILES)]
        for name, m in _metrics(stress).items()
        if "rate" not in m
    ]
    return rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS)


def rate_rows(stress: dict[str, Any]) -> tuple[list[list[str]], int]:
    """Rows `[metric, rate, count]` for rate metrics: failure rates as %, throughput as N/s."""
    rows = [
        [name, rate_value(name, m.get("rate")), integer(m.get("count"))]
        for name, m in _metrics(stress).items()
        if "rate" in m
    ]
    return rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS)


def _measured(metric: str, expression: str, value: Any) -> str:
    head = expression.strip().lower()
    if num(value) is None:
        return "no samples"
    if head.startswith("rate"):
        return rate_value(metric, value)
    if head.startswith("count"):
        return integer(value)
    return f"{ms(value)} ms"


def thresholds(stress: dict[str, Any]) -> tuple[list[Threshold], int]:
    raw = stress.get("thresholds")
    items = [t for t in raw if isinstance(t, dict)] if isinstance(raw, list) else []
    rows = []
    for t in items:
        ok = t.get("ok")
        expression, metric = str(t.get("expression", "")), str(t.get("metric", ""))
        rows.append(
            Threshold(
                ok=ok if isinstance(ok, bool) else None,
                metric=metric,
                expression=expression,
                measured=_measured(metric, expression, t.get("value")),
            )
        )
    return rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS)


def threshold_icon(ok: bool | None) -> str:
    return {True: "✅", False: "❌", None: "⚠️"}[ok]


def overview(stress: dict[str, Any]) -> str:
    """One line: duration, target and achieved rate, requests, dropped."""
    parts = []
    if num(stress.get("duration_s")) is not None:
        parts.append(f"{num(stress.get('duration_s')):.0f} s")
    target, achieved = num(stress.get("target_rate")), num(stress.get("achieved_rate"))
    if target is not None:
        parts.append(f"target {target:,.0f} req/s")
    if achieved is not None:
        parts.append(f"achieved {achieved:,.1f} req/s")
    parts.append(f"{integer(stress.get('requests'))} requests")
    parts.append(f"{integer(stress.get('dropped'))} dropped")
    return " · ".join(parts)


def notes(stress: dict[str, Any]) -> list[tuple[str, str]]:
    """(icon, text) notes about trustworthiness: saturation, abort, dropped requests.
    `aborted` and `saturation_reason` are strings from the engine and are returned raw."""
    out: list[tuple[str, str]] = []
    if stress.get("saturated"):
        out.append(
            (
                "⚠️",
                "The load generator saturated (it could not send at the target rate), so the "
                "latency figures are not trustworthy: the stress result is inconclusive.",
            )
        )
        why = _saturation_why(stress)
        if why:
            out.append(("⚠️", why))
    if stress.get("aborted"):
        out.append(("⛔", f"The run was aborted: {stress.get('aborted')}"))
    dropped = num(stress.get("dropped"))
    if dropped:
        out.append(
            (
                "⚠️",
                f"{int(dropped):,} scheduled requests were dropped (the generator could not "
                "send them), so the server saw less load than planned.",
            )
        )
    return out


def _saturation_why(stress: dict[str, Any]) -> str | None:
    """The engine's reason (e.g. "generator saturated: 12% of requests started late ...") and
    how many requests started late; a note of its own so that neither is cut short."""
    parts = []
    reason = stress.get("saturation_reason")
    if isinstance(reason, str) and reason.strip():
        parts.append(reason.strip().rstrip("."))
    late = num(stress.get("late"))
    if late:
        parts.append(f"{int(late):,} requests started late")
    return f"Why: {'; '.join(parts)}." if parts else None


def counters(stress: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(key, count)]) for status codes, error kinds and WebSocket close codes."""
    out = []
    for key, title in (
        ("status_counts", "HTTP status"),
        ("errors", "Errors"),
        ("ws_closes", "WebSocket closes"),
    ):
        data = stress.get(key)
        if isinstance(data, dict) and data:
            pairs = sorted(data.items(), key=lambda kv: -(num(kv[1]) or 0))[:MAX_ROWS]
            out.append((title, [(str(k), integer(v)) for k, v in pairs]))
    return out
