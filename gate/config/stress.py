"""`[stress]`: the open-model load run, its request mix and its k6-style thresholds.

Everything that can be checked before traffic is sent is checked here, so a bad threshold, an
unknown metric, a rate of 0, a duration or request count over the hard caps, or a URL to a host
outside the allowlist is exit 2 naming the key, not a half-run load test.
"""

from __future__ import annotations

import math
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from gate.config.base import Section
from gate.stress.thresholds import parse_duration, parse_key, parse_threshold

# Hard caps: a gate is a check, not a soak test. Values above them are configuration errors.
MAX_DURATION_S = 1800.0
MAX_REQUESTS = 20_000_000
MAX_RATE = 1_000_000.0
MAX_IN_FLIGHT = 100_000
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class RequestSpec(Section):
    """One entry of the weighted request mix (`[[stress.requests]]`)."""

    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    path: str = "/"  # relative to the target, or an absolute URL (host must be allowed)
    name: str | None = None  # endpoint tag; default "METHOD path" (query string left out)
    weight: int = Field(default=1, ge=1, le=10_000)
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    expect_status: list[int] = Field(default_factory=list)  # default: 200-399 count as success

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme or parts.netloc:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"expected a path starting with '/' or an http(s) URL: {value!r}")
        elif not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/' or an http(s) URL: {value!r}")
        return value

    @property
    def endpoint(self) -> str:
        return self.name or f"{self.method} {urlsplit(self.path).path or '/'}"


class Stage(Section):
    """A k6 ramping-arrival-rate stage: move the rate linearly to `target` over `duration`."""

    duration_s: float = Field(gt=0)
    target: float = Field(ge=0, le=MAX_RATE)


class WebSocketLoad(Section):
    """`[stress.websocket]`: N connections held for the run, each exchanging messages."""

    path: str
    connections: int = Field(default=10, ge=1, le=10_000)
    message: str = "ping"
    replies: int = Field(default=1, ge=0, le=1000)  # messages the server sends per message
    interval_s: float = Field(default=1.0, gt=0)
    headers: dict[str, str] = Field(default_factory=dict)


class ThresholdSpec(Section):
    """k6 object form: `{ threshold = "p(99)<1500", abortOnFail = true, delayAbortEval = "10s" }`"""

    threshold: str
    abortOnFail: bool = False  # k6 spells it so, and users copy k6
    delayAbortEval: str | None = None


class StressConfig(Section):
    duration_s: float = Field(default=10.0, gt=0)
    rate: float = Field(default=50.0, gt=0, le=MAX_RATE)  # requests/second (constant arrival)
    start_rate: float = Field(default=0.0, ge=0, le=MAX_RATE)  # first rate when stages are set
    stages: list[Stage] = Field(default_factory=list)  # ramping arrival rate; replaces rate
    # Requests started and not finished (waiting for a connection or answered); an arrival that
    # finds this many is dropped (k6's dropped_iterations). `connections` is the pool size (wrk's
    # -c): a request waiting for a free connection is late, and its latency says so.
    max_in_flight: int = Field(default=1000, ge=1, le=MAX_IN_FLIGHT)
    connections: int = Field(default=100, ge=1, le=10_000)
    max_requests: int = Field(default=1_000_000, ge=1, le=MAX_REQUESTS)
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    workers: int | Literal["auto"] = "auto"
    requests: list[RequestSpec] = Field(default_factory=lambda: [RequestSpec()])
    websocket: WebSocketLoad | None = None
    allow_hosts: list[str] = Field(default_factory=list)
    thresholds: dict[str, list[str | ThresholdSpec]] = Field(default_factory=dict)
    # Abort when the target is already down: this share of the last `abort_window` requests
    # failed (checked once `abort_window` requests were made), so a broken deploy is not hammered.
    abort_error_rate: float = Field(default=0.5, gt=0, le=1)
    abort_window: int = Field(default=100, ge=10, le=100_000)
    # Generator self-check: a run is inconclusive when more than these shares of the requests
    # started later than `late_after_ms` after their intended time, or were dropped.
    late_after_ms: float = Field(default=50.0, gt=0)
    max_late_fraction: float = Field(default=0.05, ge=0, le=1)
    max_dropped_fraction: float = Field(default=0.01, ge=0, le=1)

    @field_validator("workers")
    @classmethod
    def _workers(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 256:
            raise ValueError(f"workers must be 'auto' or 1..256, found {value}")
        return value

    @field_validator("thresholds")
    @classmethod
    def _thresholds(
        cls, value: dict[str, list[str | ThresholdSpec]]
    ) -> dict[str, list[str | ThresholdSpec]]:
        for key, items in value.items():
            for item in items:
                expr = item if isinstance(item, str) else item.threshold
                delay = None if isinstance(item, str) else item.delayAbortEval
                abort = False if isinstance(item, str) else item.abortOnFail
                parse_threshold(key, expr, abort_on_fail=abort, delay_abort_eval=delay)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StressConfig:
        if self.total_duration_s > MAX_DURATION_S:
            raise ValueError(
                f"the run lasts {self.total_duration_s:g} s (duration_s or the sum of "
                f"stages), over the hard cap of {MAX_DURATION_S:g} s"
            )
        planned = self.planned_requests
        if planned > self.max_requests:
            raise ValueError(
                f"the schedule plans {planned:,} requests, over max_requests = "
                f"{self.max_requests:,} (hard cap {MAX_REQUESTS:,}); lower the rate or duration"
            )
        names = [r.endpoint for r in self.requests]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"two requests share the endpoint name {dupes[0]!r}; set `name`")
        for key in self.thresholds:
            if "{" in key:
                parse_key(key, endpoints=names)
        return self

    @property
    def total_duration_s(self) -> float:
        return sum(s.duration_s for s in self.stages) if self.stages else self.duration_s

    @property
    def planned_requests(self) -> int:
        """Requests the schedule would start (k6 semantics: the integral of the rate)."""
        if not self.requests:
            return 0
        if not self.stages:
            return math.ceil(self.rate * self.duration_s)
        total, rate = 0.0, self.start_rate
        for stage in self.stages:
            total += (rate + stage.target) / 2 * stage.duration_s
            rate = stage.target
        return math.ceil(total)

    def parsed_thresholds(self) -> list[tuple[str, str, bool, float]]:
        """(key, expression, abortOnFail, delayAbortEval seconds) for every threshold."""
        out: list[tuple[str, str, bool, float]] = []
        for key, items in self.thresholds.items():
            for item in items:
                if isinstance(item, str):
                    out.append((key, item, False, 0.0))
                else:
                    delay = parse_duration(item.delayAbortEval) if item.delayAbortEval else 0.0
                    out.append((key, item.threshold, item.abortOnFail, delay))
        return out


def check_hosts(config: StressConfig, target: str) -> list[str]:
    """Problems with hosts the load would reach: only the target's host and `allow_hosts`.

    Checked when the target is known (it can come from the command line), before any traffic.
    Each problem names the key: `stress.requests[2].path: host 'x' is not the target's host`.
    """
    target_host = urlsplit(target).hostname
    allowed = {target_host, *(h.lower() for h in config.allow_hosts)}
    problems: list[str] = []
    paths = [(f"stress.requests[{i}].path", r.path) for i, r in enumerate(config.requests)]
    if config.websocket is not None:
        paths.append(("stress.websocket.path", config.websocket.path))
    for key, path in paths:
        parts = urlsplit(path)
        if not parts.scheme and not parts.netloc:
            continue
        if (parts.hostname or "").lower() not in allowed:
            problems.append(
                f"{key}: host '{parts.hostname}' is neither the target's host '{target_host}' "
                "nor in stress.allow_hosts; load goes only where it is explicitly allowed"
            )
    return problems
