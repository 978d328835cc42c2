"""The open-model schedule: when the i-th request is meant to start.

k6's constant-arrival-rate and ramping-arrival-rate executors: the rate is piecewise linear in
time, and the i-th request's intended start is the time `t` where the number of arrivals so far,
`N(t) = integral of rate`, reaches `i`. Latency is measured from that intended time, so a stalled
target cannot hide behind a generator that waits politely (coordinated omission, see wrk2).

With `k` workers, worker `w` takes arrivals `w, w+k, w+2k, ...`: the merged traffic is exactly
the schedule, each worker computes only its own arrivals, and no coordination is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Segment:
    start_s: float
    duration_s: float
    rate0: float  # requests/second at the start of the segment
    rate1: float  # ... and at its end
    arrivals_before: float  # N(start_s)

    @property
    def arrivals(self) -> float:
        return (self.rate0 + self.rate1) / 2 * self.duration_s


class Schedule:
    """Piecewise-linear arrival rate; `time_of(i)` inverts N(t) in O(1) amortised."""

    def __init__(self, stages: list[tuple[float, float]], start_rate: float) -> None:
        """`stages`: (duration_s, target rate at the end of the stage), as in k6."""
        self.segments: list[Segment] = []
        start, before, rate = 0.0, 0.0, start_rate
        for duration, target in stages:
            seg = Segment(start, duration, rate, target, before)
            self.segments.append(seg)
            start, before, rate = start + duration, before + seg.arrivals, target
        self.duration_s = start
        self.total = before
        self._cursor = 0

    @classmethod
    def constant(cls, rate: float, duration_s: float) -> Schedule:
        return cls([(duration_s, rate)], rate)

    def rate_at(self, t: float) -> float:
        for seg in self.segments:
            if t < seg.start_s + seg.duration_s:
                frac = (t - seg.start_s) / seg.duration_s
                return seg.rate0 + (seg.rate1 - seg.rate0) * frac
        return 0.0

    def time_of(self, i: int) -> float | None:
        """Intended start (seconds from the run's start) of arrival `i` (0-based), or None
        when the schedule ends before it. Calls with growing `i` are O(1)."""
        n = float(i)  # arrival i sits at N(t) = i: the first request goes out at t=0, like k6
        segments = self.segments
        cursor = self._cursor
        if cursor < len(segments) and n < segments[cursor].arrivals_before:
            cursor = 0
        while cursor < len(segments):
            seg = segments[cursor]
            if n < seg.arrivals_before + seg.arrivals:
                self._cursor = cursor
                return seg.start_s + _solve(seg, n - seg.arrivals_before)
            cursor += 1
        self._cursor = cursor
        return None


def _solve(seg: Segment, n: float) -> float:
    """The time into `seg` at which `n` arrivals have happened: r0 t + (r1-r0) t^2 / 2D = n."""
    r0, r1, d = seg.rate0, seg.rate1, seg.duration_s
    a = (r1 - r0) / (2 * d)
    if abs(a) < 1e-12:
        return n / r0 if r0 > 0 else 0.0
    disc = r0 * r0 + 4 * a * n
    root = math.sqrt(max(disc, 0.0))
    # Numerically stable form of (-r0 + root) / 2a.
    return (2 * n) / (r0 + root) if r0 + root > 0 else 0.0


def weighted_cycle(weights: list[int]) -> list[int]:
    """Indexes in smooth weighted round-robin order (nginx's): `[3, 1]` -> `[0, 0, 1, 0]`.

    Arrival `i` uses entry `cycle[i % len(cycle)]`, so the mix is exact over every cycle and
    spread evenly inside it, with no random numbers on the hot path.
    """
    total = sum(weights)
    current = [0] * len(weights)
    order: list[int] = []
    for _ in range(total):
        for k, w in enumerate(weights):
            current[k] += w
        best = max(range(len(weights)), key=lambda k: current[k])
        current[best] -= total
        order.append(best)
    return order
