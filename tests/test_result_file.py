"""result.json is streamed by a fast formatter; its text stays exactly `json.dumps(indent=2)`."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from gate.model import GateResult, Outcome, Problem, SuiteResult, Totals, Verdict
from gate.reports import result_json

texts = st.text(st.characters(codec="utf-8"), max_size=30)
problems = st.builds(
    Problem,
    id=texts,
    outcome=st.sampled_from(["failed", "error", "skipped", "flaky", "quarantined"]),
    message=texts,
    duration_s=st.floats(allow_nan=True, allow_infinity=True) | st.just(0.0),
    file=st.none() | texts,
    line=st.none() | st.integers(-(2**40), 2**40),
    tier=st.none() | st.sampled_from(["p1", "p5"]),
    detail=texts,
)
suites = st.builds(
    SuiteResult,
    name=texts,
    outcome=st.sampled_from(list(Outcome)),
    totals=st.builds(Totals, tests=st.integers(0, 10**6)),
    problems=st.lists(problems, max_size=4),
    reasons=st.lists(texts, max_size=2),
    messages_cut=st.integers(0, 3),
)


@settings(max_examples=150, deadline=None)
@given(
    suites=st.lists(suites, max_size=3),
    stress=st.none() | st.dictionaries(texts, st.lists(texts, max_size=2), max_size=2),
)
def test_streamed_text_equals_json_dumps(suites: list[SuiteResult], stress: dict | None) -> None:
    result = GateResult(Verdict.BLOCK, Outcome.FAILED, suites=suites, stress=stress)
    expected = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    assert result_json(result) == expected


def test_a_problem_that_looks_like_the_placeholder_is_not_replaced() -> None:
    tricky = Problem(id='x": "y', outcome="failed", message="[]")
    suite = SuiteResult("s", Outcome.FAILED, problems=[tricky], reasons=['"problems": []'])
    result = GateResult(Verdict.BLOCK, Outcome.FAILED, suites=[suite], stress={"problems": []})
    assert result_json(result) == json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
