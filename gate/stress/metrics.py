"""Recording, merging and serialising what a load run measured.

Latencies go into HdrHistograms (microseconds, 3 significant digits, constant memory whatever
the run length), one per metric and endpoint; counts go into plain counters. A `Snapshot` is
the lossless, mergeable form: worker processes send it to the parent, the parent writes it to
`out_dir/stress/`, and `gate merge` adds the snapshots of several machines before judging the
thresholds, so p99 of the merged run is the p99 of all samples, not an average of p99s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from gate.model import TrendStats
from gate.stress.meta import RunMeta

FORMAT = "deploy-gate-stress"
VERSION = 1
LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour: anything slower is clamped (and already a failure)
DIGITS = 3
TIMELINE_DIGITS = 2  # the timeline only draws a chart
MAX_WINDOWS = 60


def new_histogram(digits: int = DIGITS) -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, digits)


def _encode(hist: HdrHistogram) -> str:
    data: bytes = hist.encode()
    return data.decode("ascii")


def _decode(text: str) -> HdrHistogram:
    """A histogram from its base64 text; ValueError for anything hdrh cannot decode (it raises
    its own exception types, binascii and zlib errors, none of them a ValueError)."""
    try:
        return HdrHistogram.decode(text.encode("ascii"))
    except Exception as exc:
        raise ValueError(f"undecodable histogram: {type(exc).__name__}: {exc}") from None


@dataclass
class Window:
    """One point of the timeline: requests completed, failed, and their latency."""

    count: int = 0
    errors: int = 0
    hist: HdrHistogram = field(default_factory=lambda: new_histogram(TIMELINE_DIGITS))


@dataclass
class Snapshot:
    """Everything one run (or worker, or shard) measured, mergeable without loss."""

    histograms: dict[str, HdrHistogram] = field(default_factory=dict)
    rates: dict[str, list[int]] = field(default_factory=dict)  # key -> [hits, total]
    counters: dict[str, int] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    ws_closes: dict[str, int] = field(default_factory=dict)
    timeline: list[Window] = field(default_factory=list)
    window_s: float = 1.0
    meta: RunMeta = field(default_factory=RunMeta)

    def merge(self, other: Snapshot) -> None:
        """Add `other` into this snapshot (histograms added count by count)."""
        for key, hist in other.histograms.items():
            if key in self.histograms:
                self.histograms[key].add(hist)
            else:
                copy = new_histogram(hist.significant_figures)
                copy.add(hist)
                self.histograms[key] = copy
        for key, (hits, total) in other.rates.items():
            mine = self.rates.setdefault(key, [0, 0])
            mine[0] += hits
            mine[1] += total
        for mine_d, theirs in (
            (self.counters, other.counters),
            (self.status_counts, other.status_counts),
            (self.errors, other.errors),
            (self.ws_closes, other.ws_closes),
        ):
            for key, n in theirs.items():
                mine_d[key] = mine_d.get(key, 0) + n
        if not self.timeline:
            self.window_s = other.window_s
        while len(self.timeline) < len(other.timeline):
            self.timeline.append(Window())
        for mine_w, theirs_w in zip(self.timeline, other.timeline, strict=False):
            mine_w.count += theirs_w.count
            mine_w.errors += theirs_w.errors
            mine_w.hist.add(theirs_w.hist)

    # --- MetricSource (gate.config.thresholds) -------------------------------------------
    def trend(self, key: str, aggregation: str, percentile: float | None) -> float | None:
        hist = self.histograms.get(key)
        if hist is None or hist.get_total_count() == 0:
            return None
        if aggregation == "count":
            return float(hist.get_total_count())
        value: float
        if aggregation == "avg":
            value = hist.get_mean_value()
        elif aggregation == "min":
            value = hist.get_min_value()
        elif aggregation == "max":
            value = hist.get_max_value()
        elif aggregation == "med":
            value = hist.get_value_at_percentile(50.0)
        else:
            value = hist.get_value_at_percentile(percentile or 50.0)
        return float(value) / 1000.0

    def rate(self, key: str) -> float | None:
        hits, total = self.rates.get(key, (0, 0))
        return hits / total if total else None

    def counter(self, key: str) -> tuple[int, float] | None:
        if key not in self.counters:
            return None
        n = self.counters[key]
        elapsed = self.meta.elapsed_s
        return n, (n / elapsed if elapsed > 0 else 0.0)

    # --- serialisation --------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "meta": self.meta.to_json(),
            "histograms": {k: _encode(h) for k, h in sorted(self.histograms.items())},
            "rates": self.rates,
            "counters": self.counters,
            "status_counts": self.status_counts,
            "errors": self.errors,
            "ws_closes": self.ws_closes,
            "window_s": self.window_s,
            "timeline": [
                {"count": w.count, "errors": w.errors, "hist": _encode(w.hist)}
                for w in self.timeline
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        """Rebuild a snapshot; ValueError says what is wrong with the document."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a deploy-gate stress file (expected format '{FORMAT}')")
        if data.get("version") != VERSION:
            raise ValueError(f"expected version {VERSION}, found {data.get('version')!r}")
        try:
            return cls(
                histograms={str(k): _decode(v) for k, v in data["histograms"].items()},
                rates={str(k): [int(v[0]), int(v[1])] for k, v in data["rates"].items()},
                counters=_ints(data["counters"]),
                status_counts=_ints(data["status_counts"]),
                errors=_ints(data["errors"]),
                ws_closes=_ints(data["ws_closes"]),
                window_s=float(data["window_s"]),
                timeline=[
                    Window(int(w["count"]), int(w["errors"]), _decode(w["hist"]))
                    for w in data["timeline"]
                ],
                meta=RunMeta.from_json(data.get("meta") or {}),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"malformed stress file: {type(exc).__name__}: {exc}") from None

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> Snapshot:
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None


def _ints(data: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in data.items()}


def trend_summary(hist: HdrHistogram) -> TrendStats:
    """count/min/mean/p50/p90/p95/p99/max in milliseconds, for the summary's `metrics`."""
    pct = hist.get_percentile_to_value_dict([50.0, 90.0, 95.0, 99.0])
    return TrendStats(
        count=hist.get_total_count(),
        min=round(hist.get_min_value() / 1000, 3),
        mean=round(hist.get_mean_value() / 1000, 3),
        p50=round(pct[50.0] / 1000, 3),
        p90=round(pct[90.0] / 1000, 3),
        p95=round(pct[95.0] / 1000, 3),
        p99=round(pct[99.0] / 1000, 3),
        max=round(hist.get_max_value() / 1000, 3),
    )


def window_width(duration_s: float) -> float:
    """Timeline window: whole seconds, at most `MAX_WINDOWS` windows over the run."""
    width = 1.0
    while duration_s / width > MAX_WINDOWS:
        width += 1.0
    return width
