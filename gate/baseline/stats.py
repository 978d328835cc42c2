"""Two-sample statistics computed straight from HdrHistograms (no raw samples needed).

A histogram is a sorted list of (value, count) buckets: exactly what rank statistics need.

- Mann-Whitney U: ranks over the merged buckets (a bucket's samples are ties and share their
  average rank), the normal approximation with the tie correction and the continuity
  correction: the same numbers as `scipy.stats.mannwhitneyu(now, base, alternative="greater",
  method="asymptotic")` on the expanded samples (tests/test_baseline_stats.py checks that).
  With the thousands of samples of a load run the normal approximation is what scipy uses too.
- Hodges-Lehmann shift: the median of all pairwise differences now - base, found by bisection
  on the shift with a linear count of pairs per step, on buckets grouped to about 1 % (so it
  costs milliseconds for any run length; its precision is that 1 %).
- Percentiles with HdrHistogram's own rule, from the same buckets.
- Two proportions (error rates): the pooled one-sided z test.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True, slots=True)
class Buckets:
    """A sorted distribution: ascending bucket keys and how many samples each holds.

    For an HdrHistogram the keys are its counts-array indices (ascending with the value, so
    ranks need no values at all); `low`/`high` give a key's lowest and highest equivalent value
    (microseconds) and `group` how many low bits of a key to drop to get ~1 % wide buckets.
    """

    keys: list[int]
    counts: list[int]
    low: Callable[[int], int]
    high: Callable[[int], int]
    group: int = 0
    layout: tuple[object, ...] = ()  # histograms are comparable by key only with the same layout

    @property
    def total(self) -> int:
        return sum(self.counts)


def buckets(hist: HdrHistogram) -> Buckets:
    """The non-empty buckets of `hist` (a C-speed scan of its counts array)."""
    raw = hist.counts[: hist.counts_len]
    keys = list(itertools.compress(range(len(raw)), raw))

    def high(key: int) -> int:
        return int(hist.get_highest_equivalent_value(hist.get_value_from_index(key)))

    # sub-buckets are 1/1024 to 1/2048 of their value wide at 3 digits: 16 of them ~ 1 %
    group = max(0, int(math.log2(max(hist.sub_bucket_half_count, 1))) - 6)
    layout = (hist.lowest_trackable_value, hist.highest_trackable_value, hist.significant_figures)
    return Buckets(keys, [raw[k] for k in keys], hist.get_value_from_index, high, group, layout)


def from_samples(samples: list[int]) -> Buckets:
    """Buckets of raw values (tests; exact: one bucket per distinct value, no grouping)."""
    counts = Counter(samples)
    keys = sorted(counts)
    return Buckets(keys, [counts[k] for k in keys], int, int, 0, ("samples",))


def percentiles(b: Buckets, wanted: list[float]) -> dict[float, int]:
    """HdrHistogram's value at each percentile: the highest equivalent value of the bucket
    where the running count first reaches round(pct% of total) (at least 1)."""
    total = b.total
    out: dict[float, int] = {}
    targets = sorted(wanted)
    running, i = 0, 0
    for key, count in zip(b.keys, b.counts, strict=True):
        running += count
        while i < len(targets) and running >= max(int(targets[i] / 100 * total + 0.5), 1):
            out[targets[i]] = b.high(key)
            i += 1
        if i == len(targets):
            break
    return out


@dataclass(frozen=True, slots=True)
class MannWhitney:
    u: float  # U statistic of `now`
    z: float
    p: float  # one-sided: `now` tends to be larger (slower) than `base`
    p_less: float  # one-sided: `now` tends to be smaller (faster)
    superiority: float  # P(now > base) + P(now = base) / 2 = U / (n_now * n_base)


def mann_whitney(now: Buckets, base: Buckets) -> MannWhitney:
    """One-sided Mann-Whitney U test that `now` is stochastically greater than `base`."""
    n1, n2 = now.total, base.total
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs samples on both sides")
    if now.layout != base.layout:
        raise ValueError(f"histograms of different layouts: {now.layout} vs {base.layout}")
    rank_sum = 0.0  # of `now`
    tie_term = 0.0  # sum of t^3 - t over tied groups
    seen = 0
    mine, theirs = (
        dict(zip(now.keys, now.counts, strict=True)),
        dict(zip(base.keys, base.counts, strict=True)),
    )
    for key in sorted(mine.keys() | theirs.keys()):
        a = mine.get(key, 0)
        t = a + theirs.get(key, 0)
        rank_sum += a * (seen + (t + 1) / 2)
        tie_term += t * t * t - t
        seen += t
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:  # every sample equal: no evidence either way
        return MannWhitney(u, 0.0, 1.0, 1.0, u / (n1 * n2))
    sd = math.sqrt(variance)
    z = (u - mean - 0.5) / sd
    p_less = 1.0 - normal_sf((u - mean + 0.5) / sd)
    return MannWhitney(u, z, normal_sf(z), p_less, u / (n1 * n2))


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / SQRT2)


def coarse(b: Buckets) -> tuple[list[int], list[int]]:
    """(values, counts) with keys grouped `b.group` bits coarser (each group's lowest value)."""
    values: list[int] = []
    counts: list[int] = []
    last = None
    for key, count in zip(b.keys, b.counts, strict=True):
        group = key >> b.group
        if group == last:
            counts[-1] += count
        else:
            values.append(b.low(key))
            counts.append(count)
            last = group
    return values, counts


def hodges_lehmann(now: Buckets, base: Buckets) -> float:
    """Median of the pairwise differences now - base (microseconds), at the grouping's ~1 %."""
    x, y = coarse(now), coarse(base)
    pairs = sum(x[1]) * sum(y[1])
    if pairs == 0:
        raise ValueError("Hodges-Lehmann needs samples on both sides")
    half = (pairs + 1) // 2
    lo, hi = x[0][0] - y[0][-1], x[0][-1] - y[0][0]
    while lo < hi:  # smallest d with at least half of the pairs at x - y <= d
        mid = (lo + hi) // 2
        if _pairs_at_most(x, y, mid) >= half:
            hi = mid
        else:
            lo = mid + 1
    return float(lo)


def _pairs_at_most(x: tuple[list[int], list[int]], y: tuple[list[int], list[int]], d: int) -> int:
    """How many pairs have x - y <= d, i.e. y >= x - d (two pointers, linear)."""
    y_values, y_counts = y
    total_y = sum(y_counts)
    below = 0  # y samples < x - d, for the current x
    j = 0
    found = 0
    for value, count in zip(*x, strict=True):
        limit = value - d
        while j < len(y_values) and y_values[j] < limit:
            below += y_counts[j]
            j += 1
        found += count * (total_y - below)
    return found


@dataclass(frozen=True, slots=True)
class Proportions:
    now: float
    base: float
    z: float
    p: float  # one-sided: the rate rose


def two_proportions(hits_now: int, n_now: int, hits_base: int, n_base: int) -> Proportions:
    """Pooled one-sided z test that the `now` proportion is larger than the `base` one."""
    if n_now == 0 or n_base == 0:
        raise ValueError("a proportion needs at least one trial on both sides")
    p1, p2 = hits_now / n_now, hits_base / n_base
    pooled = (hits_now + hits_base) / (n_now + n_base)
    variance = pooled * (1 - pooled) * (1 / n_now + 1 / n_base)
    if variance <= 0:  # both 0 % or both 100 %: nothing changed
        return Proportions(p1, p2, 0.0, 1.0)
    z = (p1 - p2) / math.sqrt(variance)
    return Proportions(p1, p2, z, normal_sf(z))
