"""Histograms, snapshots and the schedule: lossless merging, serialisation, exact arrivals."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from gate.stress.meta import RunMeta
from gate.stress.metrics import Snapshot, new_histogram, window_width
from gate.stress.progress import Progress, format_line
from gate.stress.schedule import Schedule, weighted_cycle


def _counts(hist: object) -> dict[int, int]:
    return {
        item.value_iterated_to: item.count_at_value_iterated_to
        for item in hist.get_recorded_iterator()  # type: ignore[attr-defined]
    }


def test_two_shards_merged_equal_the_histogram_of_all_samples(tmp_path: Path) -> None:
    rng = random.Random(7)
    shard_a = [rng.randint(1, 2_000_000) for _ in range(20_000)]
    shard_b = [int(rng.expovariate(1 / 50_000)) + 1 for _ in range(15_000)] + [3_000_000_000]
    snaps = []
    for values in (shard_a, shard_b):
        hist = new_histogram()
        for v in values:
            hist.record_value(v)
        snap = Snapshot(histograms={"http_req_duration": hist})
        snap.rates["http_req_failed"] = [3, len(values)]
        snap.status_counts = {"200": len(values)}
        # Through the file format, as `gate merge` reads shards.
        path = snap.write(tmp_path / f"shard{len(snaps)}.json")
        snaps.append(Snapshot.read(path))
    merged = Snapshot()
    for snap in snaps:
        merged.merge(snap)
    combined = new_histogram()
    for v in shard_a + shard_b:
        combined.record_value(v)
    got = merged.histograms["http_req_duration"]
    assert got.get_total_count() == len(shard_a) + len(shard_b)
    assert _counts(got) == _counts(combined)  # exact count at every recorded value
    for pct in (50.0, 95.0, 99.0, 99.99):
        assert got.get_value_at_percentile(pct) == combined.get_value_at_percentile(pct)
    assert merged.rates["http_req_failed"] == [6, len(shard_a) + len(shard_b)]
    assert merged.status_counts == {"200": len(shard_a) + len(shard_b)}


def test_snapshot_round_trip_keeps_timeline_and_counters(tmp_path: Path) -> None:
    meta = RunMeta(target="http://127.0.0.1:1", thresholds=[("http_reqs", "count>1", True, 2.5)])
    snap = Snapshot(window_s=2.0, meta=meta)
    snap.counters = {"http_reqs": 5, "dropped_iterations": 1}
    snap.ws_closes = {"1011": 2}
    back = Snapshot.read(snap.write(tmp_path / "s.json"))
    assert (back.counters, back.ws_closes, back.window_s, back.meta) == (
        snap.counters,
        snap.ws_closes,
        2.0,
        snap.meta,
    )


def test_meta_of_an_older_file_takes_the_configuration_defaults() -> None:
    """A stress file without a planning field reads the `[stress]` default, not a copy of it."""
    from gate.config.stress import StressConfig

    meta = RunMeta.from_json({"target": "x", "unknown_later_field": 1})
    defaults = StressConfig.model_fields
    assert meta.max_late_fraction == defaults["max_late_fraction"].default
    assert meta.late_after_ms == defaults["late_after_ms"].default
    assert meta.thresholds == []


def test_bad_shard_file_is_named() -> None:
    with pytest.raises(ValueError, match="not a deploy-gate stress file"):
        Snapshot.from_json({"format": "something-else"})


def test_memory_is_constant_in_run_length() -> None:
    hist = new_histogram()
    size = len(hist.counts)
    for v in range(1, 200_000, 7):
        hist.record_value(v * 13)
    assert len(hist.counts) == size


def test_constant_schedule_and_worker_striding() -> None:
    schedule = Schedule.constant(rate=10, duration_s=2)
    assert [schedule.time_of(i) for i in range(0, 20, 5)] == [0.0, 0.5, 1.0, 1.5]
    assert schedule.time_of(20) is None
    # Two workers taking every other arrival cover the schedule exactly once.
    times = sorted(
        t
        for first in (0, 1)
        for i in range(first, 40, 2)
        if (t := Schedule.constant(10, 2).time_of(i)) is not None
    )
    assert times == [i / 10 for i in range(20)]


def test_ramping_schedule_integrates_the_rate() -> None:
    # k6: ramp 0 -> 10/s over 10 s, then 10 -> 0 over 10 s: 50 + 50 arrivals.
    schedule = Schedule([(10, 10), (10, 0)], start_rate=0)
    assert schedule.total == 100
    times = [schedule.time_of(i) for i in range(100)]
    assert all(t is not None for t in times)
    assert times == sorted(times)  # type: ignore[type-var]
    assert abs(times[50] - 10.0) < 1e-9  # type: ignore[operator]
    assert schedule.time_of(100) is None
    assert schedule.rate_at(5) == 5


def test_weighted_cycle_is_exact_and_spread() -> None:
    assert weighted_cycle([3, 1]) == [0, 0, 1, 0]
    cycle = weighted_cycle([5, 2, 1])
    assert [cycle.count(k) for k in range(3)] == [5, 2, 1]


def test_timeline_has_at_most_60_windows() -> None:
    assert window_width(10) == 1.0
    assert 1800 / window_width(1800) <= 60


def test_progress_line_on_a_log_is_plain_and_rate_limited() -> None:
    stream = io.StringIO()
    progress = Progress(10, stream=stream)
    progress.update(elapsed_s=1, rate=99.5, p95_ms=12.34, errors=2, requests=100)
    progress.update(elapsed_s=1.1, rate=99.5, p95_ms=12.34, errors=2, requests=110)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines == [format_line(1, 10, 99.5, 12.34, 2, 100)]
    assert "\r" not in stream.getvalue()
    assert "p95 12.3 ms" in lines[0]
    assert "errors 2/100" in lines[0]
    disabled = io.StringIO()
    Progress(10, stream=disabled, enabled=False).update(
        elapsed_s=1, rate=1, p95_ms=None, errors=0, requests=0
    )
    assert disabled.getvalue() == ""


def test_an_undecodable_histogram_is_a_value_error_naming_it() -> None:
    """hdrh raises its own exception types; a corrupt file must still be named, not crash."""
    doc = Snapshot().to_json()
    doc["histograms"] = {"http_req_duration": "not base64 at all?"}
    with pytest.raises(ValueError, match=r"malformed stress file: .*undecodable histogram"):
        Snapshot.from_json(doc)
