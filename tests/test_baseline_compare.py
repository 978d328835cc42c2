"""The comparison rules on constructed histograms: significance and size both needed, errors,
comparability, minimum samples; and how the reports render the comparison (escaped)."""

from __future__ import annotations

import io
import random
import re

import pytest
from test_reports_stress import mermaid_parse

from gate.baseline import Baseline, compare
from gate.config.baseline import BaselineConfig
from gate.model import (
    BaselineSource,
    GateResult,
    Outcome,
    StressSummary,
    SuiteResult,
    TimelinePoint,
    Verdict,
)
from gate.reports import print_summary, render_markdown
from gate.stress.meta import RunMeta
from gate.stress.metrics import Snapshot, new_histogram

EP = "GET /api/items"


def snapshot(
    endpoints: dict[str, tuple[float, int]],
    *,
    failed: dict[str, int] | None = None,
    rate: float = 100.0,
    seed: int = 1,
) -> Snapshot:
    """Per endpoint (median ms, count): log-normal latencies (sigma 0.3), recorded like the
    engine does (per endpoint and total)."""
    rng = random.Random(seed)
    snap = Snapshot(meta=RunMeta(target_rate=rate, planned_duration_s=60.0, elapsed_s=60.0))
    total = new_histogram()
    hits_all = n_all = 0
    for name, (median_ms, count) in endpoints.items():
        hist = new_histogram()
        for _ in range(count):
            hist.record_value(int(median_ms * 1000 * rng.lognormvariate(0, 0.3)))
        total.add(hist)
        snap.histograms[f"http_req_duration{{endpoint:{name}}}"] = hist
        hits = (failed or {}).get(name, 0)
        snap.rates[f"http_req_failed{{endpoint:{name}}}"] = [hits, count]
        hits_all += hits
        n_all += count
    snap.histograms["http_req_duration"] = total
    snap.rates["http_req_failed"] = [hits_all, n_all]
    return snap


def stress_result() -> GateResult:
    suite = SuiteResult("stress", Outcome.PASSED)
    return GateResult(Verdict.PASS, Outcome.PASSED, suites=[suite], stress=StressSummary())


def judged(now: Snapshot, base: Snapshot, **config: float) -> GateResult:
    baseline = Baseline(stress_result(), base, BaselineSource(path="b", sha="0123456789abcdef"))
    return compare(stress_result(), now, baseline, BaselineConfig(**config))


def row(result: GateResult, name: str = EP) -> str:
    assert result.baseline is not None
    return next(e.verdict for e in result.baseline.endpoints if e.name == name)


def test_a_small_significant_shift_is_not_a_regression() -> None:
    """20,000 requests each, 3 % slower: p is tiny, but +3 % is below the +20 % floor."""
    base = snapshot({EP: (20.0, 20_000)}, seed=1)
    now = snapshot({EP: (20.6, 20_000)}, seed=2)
    result = judged(now, base)
    assert result.baseline is not None
    (only,) = result.baseline.endpoints  # one endpoint: no separate total row
    assert only.p is not None
    assert only.p < 1e-6
    assert only.verdict == "unchanged"
    assert result.verdict is Verdict.PASS


def test_a_large_shift_on_few_samples_is_not_significant() -> None:
    base = snapshot({EP: (20.0, 3)}, seed=1)
    now = snapshot({EP: (60.0, 3)}, seed=2)
    assert row(judged(now, base, min_samples=1)) == "unchanged"  # p >= 0.01 with 3 vs 3


def test_a_fast_endpoint_needs_the_absolute_floor_too() -> None:
    """0.8 -> 1.6 ms is +100 % and significant, but not +5 ms: jitter, not a regression."""
    base = snapshot({EP: (0.8, 5000)}, seed=1)
    now = snapshot({EP: (1.6, 5000)}, seed=2)
    assert row(judged(now, base)) == "unchanged"
    assert row(judged(now, base, min_increase_ms=0.5)) == "regressed"


def test_regression_blocks_naming_endpoint_percentile_p_and_baseline() -> None:
    base = snapshot({EP: (5.0, 2000), "GET /health": (1.0, 2000)}, seed=1)
    now = snapshot({EP: (25.0, 2000), "GET /health": (1.0, 2000)}, seed=2)
    result = judged(now, base)
    assert (result.verdict, result.outcome) == (Verdict.BLOCK, Outcome.FAILED)
    (reason,) = result.reasons
    assert re.fullmatch(
        rf"stress: regression: {EP} p50 5\.\d -> 2\d\.\d ms \(\+\d+%, p < 1e-9\) "
        r"vs baseline 0123456789ab",
        reason,
    ), reason
    assert row(result, "GET /health") == "unchanged"
    assert row(result, "total") == "regressed"  # named only through its endpoint
    assert result.suites[0].reasons == [reason]


def test_faster_is_improved_not_blocking() -> None:
    base = snapshot({EP: (30.0, 2000)}, seed=1)
    now = snapshot({EP: (10.0, 2000)}, seed=2)
    result = judged(now, base)
    assert row(result) == "improved"
    assert result.verdict is Verdict.PASS


def test_error_rate_regression_uses_the_two_proportion_test() -> None:
    base = snapshot({EP: (10.0, 4000)}, failed={EP: 4}, seed=1)  # 0.1 %
    worse = snapshot({EP: (10.0, 4000)}, failed={EP: 80}, seed=1)  # 2 %
    result = judged(worse, base)
    assert row(result) == "regressed"
    assert "error rate 0.10% -> 2.00% (+1.90 points, p < 1e-9)" in result.reasons[0]
    slightly = snapshot({EP: (10.0, 4000)}, failed={EP: 12}, seed=1)  # 0.3 %: below +0.5 points
    assert row(judged(slightly, base)) == "unchanged"


def test_too_few_samples_are_not_compared() -> None:
    base = snapshot({EP: (5.0, 10)}, seed=1)
    now = snapshot({EP: (50.0, 10)}, seed=2)
    result = judged(now, base)
    assert row(result) == "not compared"
    assert result.verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("now", "why"),
    [
        (snapshot({EP: (5.0, 500)}, rate=20.0), "planned rate 100 req/s in the baseline, 20 req/s"),
        (snapshot({EP: (5.0, 500), "GET /new": (5.0, 500)}), "different endpoints (new: GET /new)"),
        (snapshot({"GET /other": (5.0, 500)}), "gone: GET /api/items"),
    ],
)
def test_another_load_shape_is_not_comparable(now: Snapshot, why: str) -> None:
    base = snapshot({EP: (1.0, 500)})
    result = judged(now, base)
    assert result.baseline is not None
    assert not result.baseline.comparable
    assert any(why in w for w in result.baseline.why_not), result.baseline.why_not
    assert result.baseline.endpoints == []
    assert result.verdict is Verdict.PASS  # no verdict from an incomparable baseline


def test_saturation_makes_latencies_incomparable() -> None:
    base = snapshot({EP: (1.0, 500)})
    now = snapshot({EP: (50.0, 500)})
    now.meta.saturation_reason = "generator saturated"
    result = judged(now, base)
    assert result.baseline is not None
    assert any("saturated in this run" in w for w in result.baseline.why_not)


# --- rendering ----------------------------------------------------------------------------------


def rendered(name: str) -> tuple[GateResult, str, str]:
    base = snapshot({name: (5.0, 500)}, seed=1)
    now = snapshot({name: (40.0, 500)}, seed=2)
    result = judged(now, base)
    assert result.baseline is not None
    points = [TimelinePoint(t=float(t), p95=5.0 + t) for t in range(1, 6)]
    result.baseline.base_timeline = points
    result.stress = StressSummary(
        timeline=[TimelinePoint(t=float(t), p95=40.0) for t in range(1, 6)]
    )
    out = io.StringIO()
    print_summary(result, out, env={})
    return result, render_markdown(result), out.getvalue()


def test_untrusted_endpoint_names_are_escaped_in_every_report() -> None:
    _, md, terminal = rendered("GET /<img src=x onerror=alert(1)> @octo/team **bold**")
    section = md.split("### ⚖️ Against the baseline", 1)[1]
    assert "<img" not in section
    assert "@octo/team" not in section  # a mention would notify the team
    assert "**bold**" not in section
    assert "baseline:" in terminal
    assert "regressed" in terminal


def test_a_foreign_endpoint_verdict_is_never_printed_as_written() -> None:
    """A hand-edited or foreign result.json may carry any text as an endpoint's verdict: the
    renderers write that cell unescaped, so only the known words may reach it."""
    result, _, _ = rendered(EP)
    assert result.baseline is not None
    result.baseline.endpoints[0].verdict = "<img src=x onerror=alert(1)> @octo/team"
    out = io.StringIO()
    print_summary(result, out, env={})
    for text in (render_markdown(result), out.getvalue()):
        assert "<img" not in text
        assert "@octo/team" not in text
        assert "unknown" in text


def test_comparison_chart_draws_both_runs_and_parses() -> None:
    _, md, _ = rendered(EP)
    assert "first line: the baseline, second line: this run" in md
    block = re.search(r"```mermaid\n(xychart-beta\n    title \"p95.*?)\n```", md, flags=re.S)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line.strip().startswith("line")]
    assert lines == ["    line [6, 7, 8, 9, 10]", "    line [40, 40, 40, 40, 40]"]
    parsed = mermaid_parse(block.group(1))
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr


def test_result_json_round_trip_keeps_the_comparison() -> None:
    result, _, _ = rendered(EP)
    back = GateResult.from_json(result.to_json())
    assert back.baseline == result.baseline
