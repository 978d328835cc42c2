"""Status descriptions, annotation paths and the comment body's bounds, without a server."""

from __future__ import annotations

import pytest
from github_fixtures import gate_result

from gate.github.comment import COMMENT_LIMIT, comment_body, marker
from gate.github.status import build_annotations, repo_path
from gate.github.text import describe
from gate.model import GateResult, Outcome, Problem, SuiteResult, Totals, Verdict


def _one_suite(suite: SuiteResult, verdict: Verdict) -> GateResult:
    return GateResult(verdict, suite.outcome, ["r"], suites=[suite], totals=suite.totals)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (gate_result([]), "passed: 3 tests"),
        (gate_result(["a", "b"]), "blocked: 2 failed in smoke"),
        (
            _one_suite(
                SuiteResult("stress", Outcome.INCONCLUSIVE, Totals(2, 2), reasons=["saturated"]),
                Verdict.BLOCK,
            ),
            "blocked: stress inconclusive (saturated)",
        ),
        (
            _one_suite(SuiteResult("e2e", Outcome.WARNED, Totals(5, 5, flaky=1)), Verdict.PASS),
            "passed with warnings: 1 flaky in e2e",
        ),
        (
            _one_suite(
                SuiteResult("smoke", Outcome.ERROR, Totals(), reasons=["timed out after 120 s"]),
                Verdict.BLOCK,
            ),
            "blocked: smoke error (timed out after 120 s)",
        ),
    ],
)
def test_descriptions_say_why(result: GateResult, expected: str) -> None:
    assert describe(result) == expected


def test_description_is_bounded_cleaned_and_redacted() -> None:
    token = "ghp_" + "Z9" * 20
    suite = SuiteResult(
        "smoke\u202e\x1b[31m", Outcome.ERROR, Totals(), reasons=[f"crashed {token} " + "x" * 300]
    )
    text = describe(_one_suite(suite, Verdict.BLOCK))
    assert len(text) <= 140
    assert token not in text
    assert "\u202e" not in text
    assert "\x1b" not in text


@pytest.mark.parametrize(
    ("file", "workspace", "expected"),
    [
        ("tests/test_x.py", None, "tests/test_x.py"),
        ("./tests/test_x.py", None, "tests/test_x.py"),
        (".github/checks/test_x.py", None, ".github/checks/test_x.py"),
        ("tests\\test_x.py", None, "tests/test_x.py"),
        ("/home/runner/work/app/app/tests/t.py", "/home/runner/work/app/app", "tests/t.py"),
        ("/usr/lib/python3/site-packages/gate/checks/smoke.py", "/home/runner/work/a/a", None),
        ("../elsewhere/t.py", None, None),
        (None, None, None),
    ],
)
def test_annotation_paths_are_repository_relative(
    file: str | None, workspace: str | None, expected: str | None
) -> None:
    assert repo_path(file, workspace) == expected


def test_annotation_outside_the_repository_points_at_the_config_file() -> None:
    result = gate_result(["t"])
    result.suites[0].problems[0] = Problem(
        id="t", outcome="error", message="boom", file="/site-packages/x.py", line=40
    )
    [annotation] = build_annotations(result, "gate.toml", workspace="/work/repo")
    assert annotation["path"] == "gate.toml"
    assert annotation["start_line"] == 1
    assert annotation["annotation_level"] == "failure"


def test_skipped_and_flaky_tests_get_no_failure_annotation() -> None:
    result = gate_result(["t"])
    result.suites[0].problems += [
        Problem(id="s", outcome="skipped"),
        Problem(id="f", outcome="flaky"),
    ]
    assert [a["title"] for a in build_annotations(result, "gate.toml")] == ["smoke: t"]


def test_comment_body_starts_with_the_marker_and_stays_bounded() -> None:
    result = gate_result([f"t{i}" + "y" * 500 for i in range(3000)])
    body = comment_body(result, environment="pr-12 <preview>", run_url="https://x/runs/1")
    assert body.startswith(marker("pr-12 <preview>") + "\n")
    assert marker("pr-12 <preview>") == "<!-- deploy-gate:pr-12-preview -->"
    assert len(body) < COMMENT_LIMIT
