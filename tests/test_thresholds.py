"""k6's threshold language: parsing (errors name the bad part) and evaluation."""

from __future__ import annotations

import re

import pytest

from gate.config.thresholds import (
    evaluate,
    parse_duration,
    parse_expression,
    parse_key,
    parse_threshold,
)
from gate.stress.meta import RunMeta
from gate.stress.metrics import Snapshot, new_histogram


@pytest.mark.parametrize(
    ("text", "aggregation", "op", "limit", "percentile"),
    [
        ("p(95)<500", "p(N)", "<", 500.0, 95.0),
        ("p(99.9) <= 1500", "p(N)", "<=", 1500.0, 99.9),
        ("avg<200", "avg", "<", 200.0, None),
        ("med>=1", "med", ">=", 1.0, None),
        ("max < 3e3", "max", "<", 3000.0, None),
        ("rate<0.01", "rate", "<", 0.01, None),
        ("count===0", "count", "===", 0.0, None),
        ("min != -1", "min", "!=", -1.0, None),
    ],
)
def test_parses_k6_expressions(
    text: str, aggregation: str, op: str, limit: float, percentile: float | None
) -> None:
    expr = parse_expression(text)
    assert (expr.aggregation, expr.op, expr.limit, expr.percentile) == (
        aggregation,
        op,
        limit,
        percentile,
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("p95<500", "unknown aggregation 'p95'"),
        ("p(95)500", "expected a comparison"),
        (
            "p(95)<",
            "expected a number or baseline (e.g. baseline * 1.2) after '<', found 'nothing'",
        ),
        ("p(95)<fast", "after '<', found 'fast'"),
        ("p(101)<5", "outside (0, 100]"),
        ("p(1.2.3)<5", "percentile '1.2.3' is not a number"),
        ("", "unknown aggregation"),
    ],
)
def test_unparsable_expression_names_the_part(text: str, says: str) -> None:
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the message is checked below
        parse_expression(text)
    assert says in str(info.value)


def test_aggregation_must_suit_the_metric_kind() -> None:
    with pytest.raises(ValueError, match="does not apply to a rate metric"):
        parse_threshold("http_req_failed", "p(95)<1")
    with pytest.raises(ValueError, match="does not apply to a trend metric"):
        parse_threshold("http_req_duration", "rate<1")


def test_metric_keys_tags_and_did_you_mean() -> None:
    key = parse_key("http_req_duration{endpoint:GET /health}")
    assert (key.name, key.tag) == ("http_req_duration", ("endpoint", "GET /health"))
    assert str(parse_key("http_req_duration{name:GET /x}")) == "http_req_duration{endpoint:GET /x}"
    with pytest.raises(ValueError, match="did you mean 'http_req_duration'"):
        parse_key("http_req_duraton")
    with pytest.raises(ValueError, match="did you mean 'GET /health'"):
        parse_key("http_req_duration{endpoint:GET /helth}", endpoints=["GET /health"])
    with pytest.raises(ValueError, match="tag filter"):
        parse_key("http_req_duration{status:200}")


def test_durations() -> None:
    assert parse_duration("10s") == 10.0
    assert parse_duration("500ms") == 0.5
    assert parse_duration("1.5m") == 90.0
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration("10")


def _snapshot(values_us: list[int], failed: int = 0, total: int = 0) -> Snapshot:
    hist = new_histogram()
    for value in values_us:
        hist.record_value(value)
    snap = Snapshot(histograms={"http_req_duration": hist}, meta=RunMeta(elapsed_s=2.0))
    snap.rates["http_req_failed"] = [failed, total]
    snap.counters["http_reqs"] = total
    return snap


def test_evaluation_message_gives_value_and_limit() -> None:
    snap = _snapshot([100_000] * 94 + [612_300] * 6)  # p(95) = 612.3 ms
    judged = evaluate(parse_threshold("http_req_duration", "p(95)<500"), snap)
    assert judged.ok is False
    # HdrHistogram keeps 3 significant digits: 612.3 ms reads back within 0.1%.
    assert re.fullmatch(r"p\(95\)=612\.[34] ms, limit < 500 ms", judged.message)
    assert evaluate(parse_threshold("http_req_duration", "med<=100.1"), snap).ok is True
    assert evaluate(parse_threshold("http_req_duration", "count==100"), snap).ok is True


def test_rate_and_counter_evaluation() -> None:
    snap = _snapshot([1000], failed=3, total=200)
    judged = evaluate(parse_threshold("http_req_failed", "rate<0.01"), snap)
    assert (judged.ok, judged.value) == (False, 0.015)
    assert judged.message == "rate=0.0150, limit < 0.0100"
    per_second = evaluate(parse_threshold("http_reqs", "rate>=100"), snap)
    assert (per_second.ok, per_second.value) == (True, 100.0)


def test_no_samples_is_inconclusive_never_a_pass() -> None:
    empty = Snapshot()
    for key, expr in [
        ("http_req_duration", "p(95)<500"),
        ("http_req_failed", "rate<0.01"),
        ("ws_msg_rtt", "avg<1"),
        ("http_reqs", "count>=0"),
    ]:
        judged = evaluate(parse_threshold(key, expr), empty)
        assert (judged.ok, judged.value) == (None, None)
        assert "no samples" in judged.message


def test_thresholds_relative_to_the_baseline() -> None:
    """`p(95) < baseline * 1.2`, `rate < baseline + 0.005`: the limit comes from the baseline."""
    relative = parse_threshold("http_req_duration", "p(95) < baseline * 1.2")
    assert relative.expression.source == "p(95)<baseline*1.2"
    assert relative.expression.relative == ("*", 1.2)
    base = _snapshot([10_000] * 100)  # p(95) = 10 ms: limit 12 ms
    assert evaluate(relative, _snapshot([11_000] * 100), base).ok is True
    slower = evaluate(relative, _snapshot([13_000] * 100), base)
    assert slower.ok is False
    # HdrHistogram reads 10 ms back as 10.007 ms (3 significant digits)
    expected = r"p\(95\)=13\.0 ms, limit < 12\.0 ms \(baseline 10\.0 ms \* 1\.2\)"
    assert re.fullmatch(expected, slower.message)

    errors = parse_threshold("http_req_failed", "rate<baseline+0.005")
    base = _snapshot([1000], failed=10, total=1000)  # 1 %
    assert evaluate(errors, _snapshot([1000], failed=14, total=1000), base).ok is True
    assert evaluate(errors, _snapshot([1000], failed=16, total=1000), base).ok is False
    assert parse_threshold("http_req_duration", "avg<=baseline").expression.relative == ("*", 1)


def test_a_relative_threshold_without_a_baseline_is_skipped_not_passed() -> None:
    relative = parse_threshold("http_req_duration", "p(95)<baseline*1.2")
    judged = evaluate(relative, _snapshot([10_000] * 100))
    assert (judged.ok, judged.no_baseline) == (None, True)
    assert judged.message.startswith("no baseline")
    empty_base = Snapshot(meta=RunMeta(elapsed_s=1.0))
    judged = evaluate(relative, _snapshot([10_000] * 100), empty_base)
    assert (judged.ok, judged.no_baseline) == (None, True)


def test_a_misspelt_baseline_limit_is_named() -> None:
    with pytest.raises(ValueError, match="expected a number or baseline"):
        parse_threshold("http_req_duration", "p(95)<basline*1.2")
