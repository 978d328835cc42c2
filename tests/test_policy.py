"""The policy: outcomes, reasons and the verdict from folded JUnit and run statuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gate.config import validate_config
from gate.model import GateResult, Outcome, RunStatus, SuiteRun, Verdict
from gate.pipeline import decide

DATA = Path(__file__).parent / "data" / "junit"


def junit(tmp_path: Path, name: str, *cases: str) -> Path:
    path = tmp_path / f"{name}.xml"
    path.write_text(f'<testsuite name="{name}">{"".join(cases)}</testsuite>')
    return path


def ok(name: str) -> str:
    return f'<testcase classname="t" name="{name}"/>'


def fail(name: str, tier: str | None = None) -> str:
    props = f'<properties><property name="priority" value="{tier}"/></properties>' if tier else ""
    return f'<testcase classname="t" name="{name}">{props}<failure message="no"/></testcase>'


def skip(name: str) -> str:
    return f'<testcase classname="t" name="{name}"><skipped message="later"/></testcase>'


def run_gate(runs: list[SuiteRun], policy: dict[str, Any] | None = None) -> GateResult:
    config = validate_config({"policy": policy or {}}, env={})
    return decide(runs, config, target="http://127.0.0.1:1").result


def test_all_passed(tmp_path: Path) -> None:
    result = run_gate([SuiteRun("smoke", [junit(tmp_path, "smoke", ok("a"), ok("b"))])])
    assert (result.verdict, result.outcome, result.reasons) == (Verdict.PASS, Outcome.PASSED, [])
    assert result.totals.tests == result.totals.passed == 2


def test_failures_block_with_one_sentence_naming_the_tests(tmp_path: Path) -> None:
    path = junit(tmp_path, "smoke", ok("x"), fail("test_a"), fail("test_b"))
    result = run_gate([SuiteRun("smoke", [path])])
    assert result.verdict is Verdict.BLOCK
    assert result.outcome is Outcome.FAILED
    assert result.reasons == ["smoke: 2 tests failed: test_a (no), test_b"]
    assert [p.id for p in result.suites[0].problems] == ["t::test_a", "t::test_b"]


def test_attributes_claiming_no_failures_still_block() -> None:
    result = run_gate([SuiteRun("smoke", [DATA / "attributes_lie.xml"])])
    assert result.verdict is Verdict.BLOCK
    assert result.reasons == [
        "smoke: 1 test failed: test_me_rejects_bad_token (expected 401, got 200)"
    ]


def test_skip_budget_default_zero_and_per_suite(tmp_path: Path) -> None:
    cases = [ok(f"ok{i}") for i in range(3)] + [skip(f"s{i}") for i in range(2)]
    path = junit(tmp_path, "e2e", *cases)
    blocked = run_gate([SuiteRun("e2e", [path])])
    assert blocked.outcome is Outcome.INCONCLUSIVE
    assert blocked.reasons == ["e2e: 2 of 5 tests skipped, budget 0"]
    allowed = run_gate([SuiteRun("e2e", [path])], {"suites": {"e2e": {"skip_budget": 2}}})
    assert (allowed.verdict, allowed.outcome) == (Verdict.PASS, Outcome.PASSED)
    assert allowed.totals.skipped == 2
    assert [p.outcome for p in allowed.suites[0].problems] == ["skipped", "skipped"]


def test_every_test_skipped_is_inconclusive_even_within_budget() -> None:
    result = run_gate([SuiteRun("e2e", [DATA / "all_skipped.xml"])], {"skip_budget": 10})
    assert result.outcome is Outcome.INCONCLUSIVE
    assert result.reasons == ["e2e: 0 of 3 tests ran, minimum 1"]


def test_zero_tests_and_min_tests(tmp_path: Path) -> None:
    empty = junit(tmp_path, "smoke")
    assert run_gate([SuiteRun("smoke", [empty])]).reasons == ["smoke: no tests found (minimum 1)"]
    two = junit(tmp_path, "two", ok("a"), ok("b"))
    result = run_gate([SuiteRun("smoke", [two])], {"min_tests": 3})
    assert (result.outcome, result.reasons) == (
        Outcome.INCONCLUSIVE,
        ["smoke: 2 of 2 tests ran, minimum 3"],
    )


def test_quarantined_tests_are_reported_not_blocking(tmp_path: Path) -> None:
    path = junit(tmp_path, "smoke", ok("a"), fail("test_flaky_upstream"))
    policy = {"quarantine": [{"id": "t::test_flaky_*", "reason": "JIRA-12"}]}
    result = run_gate([SuiteRun("smoke", [path])], policy)
    assert (result.verdict, result.outcome) == (Verdict.PASS, Outcome.WARNED)
    assert result.reasons == [
        "smoke: 1 test quarantined and not passing: test_flaky_upstream (JIRA-12)"
    ]
    problem = result.suites[0].problems[0]
    assert problem.outcome == "quarantined"
    assert problem.message.startswith("quarantined (JIRA-12); failed: no")
    totals = result.totals
    assert (totals.tests, totals.passed, totals.failed, totals.quarantined) == (2, 1, 0, 1)


def test_quarantine_can_be_limited_to_a_suite(tmp_path: Path) -> None:
    path = junit(tmp_path, "smoke", fail("test_x"))
    policy = {"quarantine": [{"id": "test_x", "reason": "r", "suite": "e2e"}]}
    assert run_gate([SuiteRun("smoke", [path])], policy).outcome is Outcome.FAILED


def test_tiers_decide_which_failures_block() -> None:
    runs = [SuiteRun("e2e", [DATA / "priority_tiers.xml"])]
    default = run_gate(runs)
    assert default.reasons == ["e2e: 2 tests failed: test_login (login failed), test_footer_links"]
    relaxed = run_gate(runs, {"block_tiers": ["p1", "p2", "p3"]})
    assert relaxed.reasons == [
        "e2e: 1 test failed: test_login (login failed)",
        "e2e: 1 test failed in non-blocking tiers (p5): test_footer_links",
    ]
    only_p2 = run_gate(runs, {"block_tiers": ["p2"]})
    assert (only_p2.verdict, only_p2.outcome) == (Verdict.PASS, Outcome.WARNED)


def test_untiered_failures_can_warn(tmp_path: Path) -> None:
    path = junit(tmp_path, "smoke", ok("a"), fail("b"))
    result = run_gate([SuiteRun("smoke", [path])], {"untiered": "warn"})
    assert result.outcome is Outcome.WARNED


@pytest.mark.parametrize(
    ("mode", "outcome", "reasons"),
    [
        ("warn", Outcome.WARNED, ["smoke: 1 test flaky (failed, then passed): a"]),
        ("block", Outcome.FAILED, ["smoke: 1 test flaky (failed, then passed): a"]),
        ("ignore", Outcome.PASSED, []),
    ],
)
def test_flaky_handling(tmp_path: Path, mode: str, outcome: Outcome, reasons: list[str]) -> None:
    first = junit(tmp_path, "run1", fail("a"), ok("b"))
    second = junit(tmp_path, "run2", ok("a"))
    (tmp_path / "run2.xml").write_text('<testsuite name="run1">' + ok("a") + "</testsuite>")
    result = run_gate([SuiteRun("smoke", [first, second])], {"flaky": mode})
    assert (result.outcome, result.reasons) == (outcome, reasons)
    assert (result.totals.passed, result.totals.flaky, result.totals.tests) == (2, 1, 2)


def test_advisory_suite_warns(tmp_path: Path) -> None:
    path = junit(tmp_path, "stress", fail("p95"))
    result = run_gate([SuiteRun("stress", [path])], {"suites": {"stress": {"blocking": False}}})
    assert (result.verdict, result.outcome) == (Verdict.PASS, Outcome.WARNED)
    assert result.reasons == ["stress: 1 test failed: p95 (no) (advisory suite: warns only)"]
    assert result.suites[0].blocking is False


@pytest.mark.parametrize(
    ("status", "outcome", "reason"),
    [
        (RunStatus.NOT_RUN, Outcome.INCONCLUSIVE, "e2e: did not run: smoke blocked"),
        (RunStatus.INCONCLUSIVE, Outcome.INCONCLUSIVE, "e2e: inconclusive: smoke blocked"),
        (RunStatus.TIMED_OUT, Outcome.ERROR, "e2e: timed out: smoke blocked"),
        (RunStatus.CRASHED, Outcome.ERROR, "e2e: crashed: smoke blocked"),
    ],
)
def test_run_status(tmp_path: Path, status: RunStatus, outcome: Outcome, reason: str) -> None:
    run = SuiteRun("e2e", [tmp_path / "never-written.xml"], status, detail="smoke blocked")
    result = run_gate([run])
    assert (result.verdict, result.outcome, result.reasons) == (Verdict.BLOCK, outcome, [reason])


def test_unreadable_file_is_error_and_other_suites_still_judged(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuite><testcase name='a'>")
    good = junit(tmp_path, "good", ok("a"))
    result = run_gate([SuiteRun("smoke", [bad, good]), SuiteRun("e2e", [good])])
    assert result.outcome is Outcome.ERROR
    smoke, e2e = result.suites
    assert smoke.outcome is Outcome.ERROR
    assert smoke.reasons[0].startswith(f"smoke: {bad}: malformed or truncated XML")
    assert e2e.outcome is Outcome.PASSED
    assert result.totals.tests == 2


def test_gate_outcome_is_the_worst_suite(tmp_path: Path) -> None:
    runs = [
        SuiteRun("a", [junit(tmp_path, "a", ok("x"))]),
        SuiteRun("b", [junit(tmp_path, "b", ok("x"), skip("y"))]),
        SuiteRun("c", [junit(tmp_path, "c", fail("z"))]),
    ]
    result = run_gate(runs, {"suites": {"c": {"blocking": False}}})
    assert [s.outcome for s in result.suites] == [
        Outcome.PASSED,
        Outcome.INCONCLUSIVE,
        Outcome.WARNED,
    ]
    assert (result.verdict, result.outcome) == (Verdict.BLOCK, Outcome.INCONCLUSIVE)


def test_no_suites_blocks() -> None:
    result = run_gate([])
    assert (result.verdict, result.outcome) == (Verdict.BLOCK, Outcome.INCONCLUSIVE)


def test_secrets_in_run_detail_and_names_are_redacted(tmp_path: Path) -> None:
    path = junit(tmp_path, "smoke", fail("test_login[s3cr3t-value]"))
    config = validate_config({"secrets": ["s3cr3t-value"]}, env={})
    run = SuiteRun("smoke", [path], RunStatus.CRASHED, detail="pytest died: token s3cr3t-value")
    result = decide([run], config, target=None).result
    assert "s3cr3t-value" not in str(result.to_json())


def test_policy_config_errors() -> None:
    from gate.errors import ConfigError

    with pytest.raises(ConfigError, match=r"policy\.block_tiers"):
        validate_config({"policy": {"block_tiers": ["p9"]}}, env={})
    with pytest.raises(ConfigError, match="quarantine lists 'a' twice"):
        validate_config(
            {"policy": {"quarantine": [{"id": "a", "reason": "r"}, {"id": "a", "reason": "s"}]}},
            env={},
        )


def test_counts_from_attributes_when_a_file_lists_no_testcases() -> None:
    result = run_gate([SuiteRun("legacy", [DATA / "counts_only.xml"])])
    assert result.outcome is Outcome.FAILED
    assert result.reasons == [
        "legacy: 2 tests failed according to <testsuite> attributes of a file that lists "
        "no testcases",
        "legacy: 1 of 10 tests skipped, budget 0",
    ]
    totals = result.totals
    assert (totals.tests, totals.passed, totals.failed, totals.skipped) == (10, 7, 2, 1)


def test_quarantined_flaky_test_is_counted_once(tmp_path: Path) -> None:
    first = junit(tmp_path, "a", fail("t1"), ok("t2"))
    second = tmp_path / "b.xml"
    second.write_text('<testsuite name="a">' + ok("t1") + "</testsuite>")
    policy = {"quarantine": [{"id": "t1", "reason": "known"}]}
    result = run_gate([SuiteRun("smoke", [first, second])], policy)
    totals = result.totals
    assert (totals.tests, totals.passed, totals.flaky, totals.quarantined) == (2, 1, 0, 1)
    assert result.outcome is Outcome.WARNED


def test_readiness_cannot_be_made_advisory() -> None:
    """Otherwise a target that never came up would pass with nothing checked."""
    from gate.errors import ConfigError

    with pytest.raises(ConfigError, match="readiness cannot be advisory"):
        validate_config({"policy": {"suites": {"readiness": {"blocking": False}}}}, env={})
    # Its other settings stay allowed.
    validate_config({"policy": {"suites": {"readiness": {"blocking": True}}}}, env={})
