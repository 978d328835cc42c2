"""The stress latency chart: a Mermaid `xychart-beta` block built from the stress timeline.

GitHub renders ```` ```mermaid ```` blocks in comments, summaries and check runs. The chart is
built only from numbers deploy-gate formats itself (no untrusted text reaches it), with
quoted x-axis categories (seconds since the start) and one line per percentile. Mermaid's
xychart has no legend, so the caller prints which line is which above the chart.
"""

from __future__ import annotations

import math
from typing import Any

from gate.model import TimelinePoint

MAX_POINTS = 60
SERIES = ("p50", "p95", "p99")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value: float) -> str:
    """A number in the form Mermaid's lexer accepts: digits, optional fraction, no exponent."""
    text = f"{max(value, 0.0):.1f}"
    return text[:-2] if text.endswith(".0") else text


def latency_chart(timeline: list[TimelinePoint]) -> str | None:
    """A fenced Mermaid chart of p50/p95/p99 (ms) over time, or None with fewer than 2 points.

    Seconds without samples (a null percentile) are drawn as 0.
    """
    points = list(timeline)
    if len(points) < 2:
        return None
    if len(points) > MAX_POINTS:
        step = math.ceil(len(points) / MAX_POINTS)
        points = points[::step]
    series = {name: [_number(getattr(p, name)) or 0.0 for p in points] for name in SERIES}
    top = max((v for values in series.values() for v in values), default=0.0)
    y_max = _nice_ceiling(top * 1.1) if top > 0 else 1.0
    x_labels = ", ".join(f'"{_fmt(p.t)}"' for p in points)
    lines = [
        "```mermaid",
        "xychart-beta",
        '    title "Latency over time (ms): p50, p95, p99"',
        f'    x-axis "seconds since start" [{x_labels}]',
        f'    y-axis "latency (ms)" 0 --> {_fmt(y_max)}',
    ]
    for name in SERIES:
        lines.append(f"    %% {name}")
        lines.append(f"    line [{', '.join(_fmt(v) for v in series[name])}]")
    lines.append("```")
    return "\n".join(lines)


def _nice_ceiling(value: float) -> float:
    """Round up to 1, 2 or 5 times a power of ten, so the axis has readable ticks."""
    exponent = math.floor(math.log10(value))
    base = 10.0**exponent
    for factor in (1, 2, 5, 10):
        if value <= factor * base:
            return factor * base
    return 10 * base


def comparison_chart(now: list[TimelinePoint], base: list[TimelinePoint]) -> str | None:
    """p95 over time of this run and of the baseline: two lines on one axis (seconds)."""
    if len(now) < 2 or len(base) < 2:
        return None
    count = min(max(len(now), len(base)), MAX_POINTS)
    step = math.ceil(max(len(now), len(base)) / count)
    longer = now if len(now) >= len(base) else base
    ticks = longer[::step]

    def series(points: list[TimelinePoint]) -> list[float]:
        values = [_number(p.p95) or 0.0 for p in points[::step]]
        return (values + [0.0] * len(ticks))[: len(ticks)]

    lines_now, lines_base = series(now), series(base)
    top = max([*lines_now, *lines_base, 0.0])
    y_max = _nice_ceiling(top * 1.1) if top > 0 else 1.0
    x_labels = ", ".join(f'"{_fmt(p.t)}"' for p in ticks)
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            '    title "p95 latency (ms): baseline, then this run"',
            f'    x-axis "seconds since start" [{x_labels}]',
            f'    y-axis "latency (ms)" 0 --> {_fmt(y_max)}',
            "    %% baseline",
            f"    line [{', '.join(_fmt(v) for v in lines_base)}]",
            "    %% this run",
            f"    line [{', '.join(_fmt(v) for v in lines_now)}]",
            "```",
        ]
    )
