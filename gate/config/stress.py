"""`[stress]`: the open-model load run, its request mix and its k6-style thresholds.

Everything that can be checked before traffic is sent is checked here, so a bad threshold, an
unknown metric, a rate of 0, a duration or request count over the hard caps, or a URL to a host
outside the allowlist is exit 2 naming the key, not a half-run load test.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from gate.config.base import Section
from gate.config.keys import positions
from gate.config.thresholds import (
    parse_duration,
    parse_expression,
    parse_key,
    parse_threshold,
)

# Hard caps: a gate is a check, not a soak test. Values above them are configuration errors.
MAX_DURATION_S = 1800.0
MAX_REQUESTS = 20_000_000
MAX_RATE = 1_000_000.0
MAX_IN_FLIGHT = 100_000
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _key(value: str) -> str:
    parse_key(value)
    return value


def _expression(value: str) -> str:
    parse_expression(value)
    return value


def _duration(value: str) -> str:
    parse_duration(value)
    return value


# Checked one by one, so an error names its place: `stress.thresholds.http_req_duration[1]`.
MetricKeyText = Annotated[str, AfterValidator(_key)]
ThresholdText = Annotated[str, AfterValidator(_expression)]
DurationText = Annotated[str, AfterValidator(_duration)]


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

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_headers(value)

    @property
    def endpoint(self) -> str:
        return self.name or f"{self.method} {urlsplit(self.path).path or '/'}"


def _check_headers(headers: dict[str, str]) -> dict[str, str]:
    for name, value in headers.items():
        if not name or any(c in name for c in " :\r\n\t") or "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r}: a name without spaces or ':', a value on one line")
    return headers


class Stage(Section):
    """A k6 ramping-arrival-rate stage: move the rate linearly to `target` over `duration`."""

    duration_s: float = Field(gt=0)
    target: float = Field(ge=0, le=MAX_RATE)


class WebSocketLoad(Section):
    """`[stress.websocket]`: N connections held for the run, each exchanging messages.

    `{n}` in `message` and `until` becomes a token unique to each exchange: with a server
    that echoes it, `until = "{n}"` matches each reply to its own message.
    """

    path: str
    connections: int = Field(default=10, ge=1, le=10_000)
    message: str = "ping"
    replies: int = Field(default=1, ge=0, le=1000)  # messages that end an exchange
    until: str | None = None  # or: the first message containing this text ends it
    interval_s: float = Field(default=1.0, gt=0)
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_headers(value)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme or parts.netloc:
            if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
                raise ValueError(f"expected a path starting with '/' or a ws(s) URL: {value!r}")
        elif not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/' or a ws(s) URL: {value!r}")
        return value


class ThresholdSpec(Section):
    """k6 object form: `{ threshold = "p(99)<1500", abortOnFail = true, delayAbortEval = "10s" }`"""

    threshold: ThresholdText
    abortOnFail: bool = False  # k6 spells it so, and users copy k6
    delayAbortEval: DurationText | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        """`"p(95)<500"` is short for `{ threshold = "p(95)<500" }`."""
        return {"threshold": value} if isinstance(value, str) else value


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
    max_requests: int = Field(default=1_000_000, ge=1)
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    workers: int | Literal["auto"] = "auto"
    # "lean": the generator's own HTTP/1.1 client (fast); "aiohttp": aiohttp's client (HTTP
    # features such as redirects and proxies from the environment are not used by either).
    client: Literal["lean", "aiohttp"] = "lean"
    requests: list[RequestSpec] = Field(default_factory=lambda: [RequestSpec()])
    websocket: WebSocketLoad | None = None
    allow_hosts: list[str] = Field(default_factory=list)
    thresholds: dict[MetricKeyText, list[ThresholdSpec]] = Field(default_factory=dict)
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

    @field_validator("duration_s")
    @classmethod
    def _duration_cap(cls, value: float) -> float:
        if value > MAX_DURATION_S:
            raise ValueError(f"{value:g} s is over the hard cap of {MAX_DURATION_S:g} s")
        return value

    @field_validator("max_requests")
    @classmethod
    def _requests_cap(cls, value: int) -> int:
        if value > MAX_REQUESTS:
            raise ValueError(f"{value:,} is over the hard cap of {MAX_REQUESTS:,} requests")
        return value

    @field_validator("stages")
    @classmethod
    def _stages_cap(cls, value: list[Stage]) -> list[Stage]:
        total = sum(s.duration_s for s in value)
        if total > MAX_DURATION_S:
            raise ValueError(
                f"the stages last {total:g} s in all, over the hard cap of {MAX_DURATION_S:g} s"
            )
        return value

    @field_validator("requests")
    @classmethod
    def _unique_endpoints(cls, value: list[RequestSpec]) -> list[RequestSpec]:
        names = [r.endpoint for r in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"two requests share the endpoint name {dupes[0]!r}; set `name`")
        return value

    @field_validator("thresholds")
    @classmethod
    def _thresholds(
        cls, value: dict[str, list[ThresholdSpec]], info: ValidationInfo
    ) -> dict[str, list[ThresholdSpec]]:
        """Every threshold against its metric's kind and the request names, all problems at
        once (a field validator, so it runs even when another stress key is wrong too)."""
        requests = info.data.get("requests")  # absent when the requests themselves are invalid
        names = [r.endpoint for r in requests] if requests is not None else None
        problems = []
        for key, items in value.items():
            for item in items:
                try:
                    parse_threshold(key, item.threshold, endpoints=names)
                except ValueError as exc:
                    text = str(exc)  # names the key when the key is wrong, else say which
                    problems.append(text if text.startswith(f"'{key}'") else f"'{key}': {text}")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StressConfig:
        planned = self.planned_requests
        if planned > self.max_requests:
            raise ValueError(
                f"the schedule (rate/stages x duration) plans {planned:,} requests, over "
                f"stress.max_requests = {self.max_requests:,} (hard cap {MAX_REQUESTS:,}); "
                "lower the rate or the duration"
            )
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
        return [
            (
                key,
                item.threshold,
                item.abortOnFail,
                parse_duration(item.delayAbortEval) if item.delayAbortEval else 0.0,
            )
            for key, items in self.thresholds.items()
            for item in items
        ]


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
                + positions(key)
            )
    return problems
