"""k6's threshold language: `p(95)<500` on `http_req_duration{endpoint:GET /health}`.

The language is part of the configuration, so it lives with it (data flows config -> stress,
never back): the loader validates thresholds (exit 2 naming the bad part) without importing the
load engine. Evaluation works on any `MetricSource`, the merged view of one run or of several
shards, so `gate run` and `gate merge` judge thresholds the same way.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Literal, Protocol

MetricKind = Literal["trend", "rate", "counter"]

# Every metric the engine records, with its kind (which decides the aggregations it allows).
METRICS: dict[str, MetricKind] = {
    "http_req_duration": "trend",  # from the intended send time (coordinated-omission free)
    "http_req_service": "trend",  # from the actual send time (what a closed-loop tool shows)
    "http_req_failed": "rate",
    "http_reqs": "counter",
    "dropped_iterations": "counter",
    "ws_connecting": "trend",
    "ws_msg_rtt": "trend",
    "ws_session_failed": "rate",
    "ws_sessions": "counter",
}
TAGS = ("endpoint",)
_AGGREGATIONS: dict[MetricKind, tuple[str, ...]] = {
    "trend": ("avg", "min", "max", "med", "count", "p(N)"),
    "rate": ("rate",),
    "counter": ("count", "rate"),
}
_OPS = ("<=", ">=", "===", "==", "!=", "<", ">")
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{([^{}]*)\})?\s*$")
_AGG = re.compile(r"^\s*(avg|min|max|med|count|rate|p\(\s*([0-9.]+)\s*\))")
_NUMBER = re.compile(r"^\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*$")
_BASELINE = re.compile(
    r"^\s*baseline\s*(?:([*+-])\s*((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?))?\s*$"
)
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*$")


@dataclass(frozen=True, slots=True)
class MetricKey:
    """`http_req_duration{endpoint:GET /health}`: a metric name and an optional tag filter."""

    name: str
    tag: tuple[str, str] | None = None

    @property
    def kind(self) -> MetricKind:
        return METRICS[self.name]

    def __str__(self) -> str:
        return f"{self.name}{{{self.tag[0]}:{self.tag[1]}}}" if self.tag else self.name


@dataclass(frozen=True, slots=True)
class Expression:
    """`p(95)<500`: an aggregation, a comparison and a limit (ms for trends)."""

    aggregation: str  # avg, min, max, med, count, rate, or p(N) with `percentile` set
    op: str
    limit: float
    source: str
    label: str  # the aggregation as written, normalised: `p(95)`, `avg`, `rate`
    percentile: float | None = None
    # `p(95) < baseline * 1.2`: the limit is the baseline's value of the same aggregation,
    # scaled ("*") or shifted ("+", "-"); `limit` is unused then.
    relative: tuple[str, float] | None = None

    def limit_for(self, base: float) -> float:
        """The absolute limit for a relative expression, given the baseline's value."""
        assert self.relative is not None
        how, factor = self.relative
        return base * factor if how == "*" else base + factor if how == "+" else base - factor

    def holds(self, value: float, limit: float | None = None) -> bool:
        op = "==" if self.op == "===" else self.op
        bound = self.limit if limit is None else limit
        return {
            "<": value < bound,
            "<=": value <= bound,
            ">": value > bound,
            ">=": value >= bound,
            "==": value == bound,
            "!=": value != bound,
        }[op]


@dataclass(frozen=True, slots=True)
class Threshold:
    key: MetricKey
    expression: Expression
    abort_on_fail: bool = False
    delay_abort_eval_s: float = 0.0

    @property
    def name(self) -> str:
        """The JUnit testcase name: `http_req_duration p(95)<500`."""
        return f"{self.key} {self.expression.source}"


@dataclass(frozen=True, slots=True)
class Judgement:
    threshold: Threshold
    value: float | None  # None: no samples
    ok: bool | None  # None: inconclusive (no samples), or skipped (no baseline)
    message: str
    no_baseline: bool = False  # a relative threshold without a baseline to resolve it: skipped


class MetricSource(Protocol):
    """What evaluation needs from recorded data (implemented by `gate.stress.metrics`)."""

    def trend(self, key: str, aggregation: str, percentile: float | None) -> float | None: ...
    def rate(self, key: str) -> float | None: ...
    def counter(self, key: str) -> tuple[int, float] | None: ...


def parse_key(text: str, endpoints: list[str] | None = None) -> MetricKey:
    """Parse a metric key; ValueError says what is wrong (with a "did you mean")."""
    match = _KEY.match(text)
    if not match:
        raise ValueError(f"'{text}': expected a metric name, optionally with {{endpoint:NAME}}")
    name, tag_text = match.group(1), match.group(2)
    if name not in METRICS:
        raise ValueError(f"'{text}': unknown metric '{name}'{_did_you_mean(name, list(METRICS))}")
    if tag_text is None:
        return MetricKey(name)
    tag_name, sep, value = tag_text.partition(":")
    tag_name, value = tag_name.strip(), value.strip()
    if tag_name == "name":  # k6 users write {name:...}; it means the same here
        tag_name = "endpoint"
    if not sep or tag_name not in TAGS or not value:
        raise ValueError(f"'{text}': expected a tag filter like {{endpoint:GET /health}}")
    if endpoints is not None and value not in endpoints:
        known = ", ".join(repr(e) for e in endpoints) or "none"
        raise ValueError(
            f"'{text}': no request in [[stress.requests]] is named '{value}'"
            f"{_did_you_mean(value, endpoints)} (known: {known})"
        )
    return MetricKey(name, (tag_name, value))


def parse_expression(text: str, kind: MetricKind | None = None) -> Expression:
    """Parse `p(95)<500`; ValueError names the part that does not parse."""
    match = _AGG.match(text)
    if not match:
        head = re.split(r"[<>=!]", text, maxsplit=1)[0].strip() or text.strip()
        raise ValueError(
            f"'{text}': unknown aggregation '{head}' "
            "(expected avg, min, max, med, count, rate or p(N), e.g. p(95))"
        )
    aggregation, pct_text = match.group(1), match.group(2)
    percentile = None
    if pct_text is not None:
        try:
            percentile = float(pct_text)
        except ValueError:
            raise ValueError(f"'{text}': percentile '{pct_text}' is not a number") from None
        if not 0 < percentile <= 100:
            raise ValueError(f"'{text}': percentile {pct_text} is outside (0, 100]")
        aggregation = "p(N)"
    if kind is not None and aggregation not in _AGGREGATIONS[kind]:
        allowed = ", ".join(_AGGREGATIONS[kind])
        raise ValueError(
            f"'{text}': aggregation '{match.group(1)}' does not apply to a {kind} metric "
            f"(allowed: {allowed})"
        )
    rest = text[match.end() :].lstrip()
    op = next((o for o in _OPS if rest.startswith(o)), None)
    if op is None:
        raise ValueError(
            f"'{text}': expected a comparison (<, <=, >, >=, ==, !=) after "
            f"'{match.group(1)}', found '{rest[:10]}'"
        )
    limit_text = rest[len(op) :]
    label = match.group(1).replace(" ", "")
    relative = _BASELINE.match(limit_text)
    if relative:
        how, amount = relative.group(1) or "*", float(relative.group(2) or 1.0)
        written = f"baseline{how}{relative.group(2)}" if relative.group(1) else "baseline"
        return Expression(
            aggregation, op, 0.0, f"{label}{op}{written}", label, percentile, (how, amount)
        )
    number = _NUMBER.match(limit_text)
    if not number:
        found = limit_text.strip() or "nothing"
        raise ValueError(
            f"'{text}': expected a number or baseline (e.g. baseline * 1.2) after '{op}', "
            f"found '{found}'"
        )
    limit = float(number.group(1))
    if not math.isfinite(limit):
        raise ValueError(f"'{text}': the limit must be a finite number")
    return Expression(aggregation, op, limit, f"{label}{op}{number.group(1)}", label, percentile)


def parse_duration(text: str) -> float:
    """k6 durations: `10s`, `500ms`, `1m`, `1.5h` -> seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"'{text}': expected a duration like 500ms, 10s, 1m")
    factor = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[match.group(2)]
    return float(match.group(1)) * factor


def parse_threshold(
    key: str,
    expression: str,
    *,
    abort_on_fail: bool = False,
    delay_abort_eval: str | None = None,
    endpoints: list[str] | None = None,
) -> Threshold:
    metric = parse_key(key, endpoints)
    parsed = parse_expression(expression, metric.kind)
    delay = parse_duration(delay_abort_eval) if delay_abort_eval else 0.0
    return Threshold(metric, parsed, abort_on_fail, delay)


def evaluate(
    threshold: Threshold, source: MetricSource, baseline: MetricSource | None = None
) -> Judgement:
    """Judge one threshold; no samples is inconclusive (ok=None), never a pass.

    A relative threshold (`p(95) < baseline * 1.2`) takes its limit from `baseline`; without
    one (or without samples there) it is skipped as "no baseline", and the policy's skip
    budget decides, as for any skipped test.
    """
    expr = threshold.expression
    value, unit = _measure(threshold, source)
    label = expr.label
    if value is None:
        return Judgement(threshold, None, None, f"{label}: no samples, cannot judge")
    op = "==" if expr.op == "===" else expr.op
    if expr.relative is None:
        ok = expr.holds(value)
        message = f"{label}={_fmt(value)}{unit}, limit {op} {_fmt(expr.limit)}{unit}"
        return Judgement(threshold, value, ok, message)
    base = None if baseline is None else _measure(threshold, baseline)[0]
    if base is None:
        why = "no baseline" if baseline is None else "no baseline: it has no samples of this"
        return Judgement(threshold, value, None, f"{why}; {label}={_fmt(value)}{unit}", True)
    limit = expr.limit_for(base)
    how, amount = expr.relative
    message = (
        f"{label}={_fmt(value)}{unit}, limit {op} {_fmt(limit)}{unit} "
        f"(baseline {_fmt(base)}{unit} {how} {_fmt(amount)})"
    )
    return Judgement(threshold, value, expr.holds(value, limit), message)


def _measure(threshold: Threshold, source: MetricSource) -> tuple[float | None, str]:
    """The threshold's aggregation of its metric in `source`, and its unit."""
    key, expr = str(threshold.key), threshold.expression
    if threshold.key.kind == "trend":
        unit = " ms" if expr.aggregation != "count" else ""
        return source.trend(key, expr.aggregation, expr.percentile), unit
    if threshold.key.kind == "rate":
        return source.rate(key), ""
    counted = source.counter(key)
    value = None if counted is None else float(counted[0 if expr.aggregation == "count" else 1])
    return value, "/s" if expr.aggregation == "rate" else ""


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4f}" if abs(value) < 1 else f"{value:.1f}"


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
