"""Two-sample statistics computed straight from HdrHistograms (no raw samples needed).

A histogram is a sorted list of (value, count) buckets: exactly what rank statistics need.

- Mann-Whitney U: ranks over the merged buckets (a bucket's samples are ties and share their
  average rank), the normal approximation with the tie correction and the continuity
  correction: the same numbers as `scipy.stats.mannwhitneyu(now, base, alternative="greater",
  method="asymptotic")` on the expanded samples (tests/test_baseline_stats.py checks that).
  With the thousands of samples of a load run the normal approximation is what scipy uses too.
- Hodges-Lehmann shift: the median of all pairwise differences now - base, found by bisection
  on the shift with a linear count of pairs per step, on buckets coarsened to 1 % (so it costs
  milliseconds for any run length; its precision is that 1 %).
- Two proportions (error rates): the pooled one-sided z test.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

SQRT2 = math.sqrt(2.0)
HL_RESOLUTION = 0.01  # relative width of the buckets the shift is computed on


@dataclass(frozen=True, slots=True)
class Buckets:
    """Sorted distinct values (microseconds) and how many samples each holds."""

    values: list[int]
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def buckets(hist: HdrHistogram) -> Buckets:
    """The non-empty buckets of `hist`, as (lowest equivalent value, count), ascending."""
    raw = hist.counts[: hist.counts_len]
    indices = list(itertools.compress(range(len(raw)), raw))
    return Buckets([hist.get_value_from_index(i) for i in indices], [raw[i] for i in indices])


def from_samples(samples: list[int]) -> Buckets:
    """Buckets of raw values (tests; exact, one bucket per distinct value)."""
    values = sorted(set(samples))
    return Buckets(values, [samples.count(v) for v in values])


@dataclass(frozen=True, slots=True)
class MannWhitney:
    u: float  # U statistic of `now`
    z: float
    p: float  # one-sided: `now` tends to be larger (slower) than `base`
    superiority: float  # P(now > base) + P(now = base) / 2 = U / (n_now * n_base)


def mann_whitney(now: Buckets, base: Buckets) -> MannWhitney:
    """One-sided Mann-Whitney U test that `now` is stochastically greater than `base`."""
    n1, n2 = now.total, base.total
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs samples on both sides")
    rank_sum = 0.0  # of `now`
    tie_term = 0.0  # sum of t^3 - t over tied groups
    seen = 0
    i = j = 0
    a_values, a_counts, b_values, b_counts = now.values, now.counts, base.values, base.counts
    while i < len(a_values) or j < len(b_values):
        a_v = a_values[i] if i < len(a_values) else None
        b_v = b_values[j] if j < len(b_values) else None
        value = min(v for v in (a_v, b_v) if v is not None)
        a = b = 0
        if a_v == value:
            a = a_counts[i]
            i += 1
        if b_v == value:
            b = b_counts[j]
            j += 1
        t = a + b
        rank_sum += a * (seen + (t + 1) / 2)
        tie_term += t * t * t - t
        seen += t
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:  # every sample equal: no evidence either way
        return MannWhitney(u, 0.0, 1.0, u / (n1 * n2))
    z = (u - mean - 0.5) / math.sqrt(variance)
    return MannWhitney(u, z, normal_sf(z), u / (n1 * n2))


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / SQRT2)


def coarse(b: Buckets, resolution: float = HL_RESOLUTION) -> Buckets:
    """Merge buckets into log-spaced ones `resolution` wide (each keeps its lowest value)."""
    step = math.log1p(resolution)
    values: list[int] = []
    counts: list[int] = []
    last_key = None
    for value, count in zip(b.values, b.counts, strict=True):
        key = int(math.log(max(value, 1)) / step)
        if key == last_key:
            counts[-1] += count
        else:
            values.append(value)
            counts.append(count)
            last_key = key
    return Buckets(values, counts)


def hodges_lehmann(now: Buckets, base: Buckets) -> float:
    """Median of the pairwise differences now - base (microseconds), at `HL_RESOLUTION`."""
    x, y = coarse(now), coarse(base)
    pairs = x.total * y.total
    if pairs == 0:
        raise ValueError("Hodges-Lehmann needs samples on both sides")
    half = (pairs + 1) // 2
    lo, hi = x.values[0] - y.values[-1], x.values[-1] - y.values[0]
    while lo < hi:  # smallest d with at least half of the pairs at x - y <= d
        mid = (lo + hi) // 2
        if _pairs_at_most(x, y, mid) >= half:
            hi = mid
        else:
            lo = mid + 1
    return float(lo)


def _pairs_at_most(x: Buckets, y: Buckets, d: int) -> int:
    """How many pairs have x - y <= d, i.e. y >= x - d (two pointers, linear)."""
    total_y = y.total
    below = 0  # y samples < x - d, for the current x
    j = 0
    found = 0
    y_values, y_counts = y.values, y.counts
    for value, count in zip(x.values, x.counts, strict=True):
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
