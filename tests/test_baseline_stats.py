"""The baseline statistics, computed from histograms, against scipy on the expanded samples."""

from __future__ import annotations

import random
import statistics

import pytest
from scipy.stats import mannwhitneyu

from gate.baseline.stats import (
    Buckets,
    buckets,
    from_samples,
    hodges_lehmann,
    mann_whitney,
    percentiles,
    two_proportions,
)
from gate.stress.metrics import new_histogram


def expand(values: list[int], counts: list[int]) -> list[int]:
    return [v for v, c in zip(values, counts, strict=True) for _ in range(c)]


def samples_of(b: Buckets) -> list[int]:
    """The samples a histogram stands for (each at its bucket's lowest value)."""
    return expand([b.low(k) for k in b.keys], b.counts)


CASES = [
    # (now, base) as small histograms: value -> count; ties across and within samples
    ({10: 3, 20: 5, 30: 2}, {10: 4, 20: 4, 25: 1}),
    ({5: 1, 6: 1, 7: 1}, {1: 1, 2: 1, 3: 1, 4: 1}),
    ({100: 50, 200: 50}, {100: 60, 150: 30, 200: 10}),
    ({1: 7}, {1: 3, 2: 4}),
    ({3: 2, 9: 9, 12: 1}, {3: 2, 9: 9, 12: 1}),
]


@pytest.mark.parametrize(("now", "base"), CASES)
def test_mann_whitney_matches_scipy(now: dict[int, int], base: dict[int, int]) -> None:
    x = expand(list(now), list(now.values()))
    y = expand(list(base), list(base.values()))
    ours = mann_whitney(from_samples(x), from_samples(y))
    theirs = mannwhitneyu(x, y, alternative="greater", method="asymptotic", use_continuity=True)
    assert ours.u == pytest.approx(theirs.statistic)
    assert ours.p == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-15)
    less = mannwhitneyu(x, y, alternative="less", method="asymptotic", use_continuity=True)
    assert ours.p_less == pytest.approx(less.pvalue, rel=1e-9, abs=1e-15)


def test_mann_whitney_from_hdr_histograms_matches_scipy_on_the_bucket_values() -> None:
    rng = random.Random(7)
    now_h, base_h = new_histogram(), new_histogram()
    for _ in range(3000):
        base_h.record_value(int(rng.lognormvariate(8, 0.4)))
        now_h.record_value(int(rng.lognormvariate(8.05, 0.4)))
    now, base = buckets(now_h), buckets(base_h)
    assert now.total == base.total == 3000
    ours = mann_whitney(now, base)
    theirs = mannwhitneyu(samples_of(now), samples_of(base), alternative="greater")
    assert ours.u == pytest.approx(theirs.statistic)
    assert ours.p == pytest.approx(theirs.pvalue, rel=1e-9)
    assert ours.p < 0.01  # a 5 % shift with 3,000 samples each is significant
    shift = hodges_lehmann(now, base)  # grouped to ~1 %: close to the exact median shift
    x, y = samples_of(now), samples_of(base)
    exact = sorted(a - b for a in x[::10] for b in y[::10])[len(x[::10]) * len(y[::10]) // 2]
    assert shift == pytest.approx(exact, abs=0.02 * statistics.median(y))


def test_percentiles_follow_hdr_histogram() -> None:
    rng = random.Random(11)
    hist = new_histogram()
    for _ in range(5000):
        hist.record_value(int(rng.expovariate(1 / 20_000)) + 1)
    wanted = [50.0, 95.0, 99.0, 99.9]
    assert percentiles(buckets(hist), wanted) == hist.get_percentile_to_value_dict(wanted)


def test_histograms_of_another_layout_are_refused() -> None:
    other = new_histogram(2)
    other.record_value(5)
    mine = new_histogram()
    mine.record_value(5)
    with pytest.raises(ValueError, match="different layouts"):
        mann_whitney(buckets(mine), buckets(other))


def test_hodges_lehmann_is_the_median_of_pairwise_differences() -> None:
    rng = random.Random(3)
    x = [rng.randint(1000, 5000) + 700 for _ in range(300)]
    y = [rng.randint(1000, 5000) for _ in range(200)]
    diffs = sorted(a - b for a in x for b in y)
    exact = diffs[(len(diffs) - 1) // 2]
    assert hodges_lehmann(from_samples(x), from_samples(y)) == exact  # raw samples: exact


def test_identical_samples_give_no_evidence() -> None:
    same = from_samples([7] * 10)
    result = mann_whitney(same, same)
    assert result.p == 1.0
    assert hodges_lehmann(same, same) == 0


def test_two_proportions() -> None:
    worse = two_proportions(60, 1000, 10, 1000)
    assert worse.p < 1e-6
    assert worse.now == 0.06
    same = two_proportions(10, 1000, 10, 1000)
    assert same.p == pytest.approx(0.5)
    assert two_proportions(0, 100, 0, 100).p == 1.0
