"""`write_reports`: result.json is the contract (schema 1, stable order, UTF-8); summary.md."""

from __future__ import annotations

import json
from pathlib import Path

from gate.model import SCHEMA_VERSION, GateResult, Outcome, Problem, SuiteResult, Totals, Verdict
from gate.reports import render_markdown, result_json, write_reports


def sample() -> GateResult:
    problems = [
        Problem("tests/test_ü.py::test_ünïcode[✓]", "failed", "assert 'ü' == 'u'", 0.25,
                "tests/test_ü.py", 3, "p1", "trace ✓"),
        Problem("tests/test_b.py::test_skip", "skipped", "agents disabled"),
        Problem("tests/test_c.py::test_flaky", "flaky", "passed on rerun 1"),
    ]  # fmt: skip
    suite = SuiteResult(
        "smoke", Outcome.FAILED, Totals(5, 3, 1, 0, 1, 1, 0), 1.23456, problems, ["1 failed"]
    )
    return GateResult(
        Verdict.BLOCK,
        Outcome.FAILED,
        ["smoke: 1 test failed"],
        "https://staging.example",
        Totals(5, 3, 1, 0, 1, 1, 0),
        [suite],
        {"duration_s": 1.0, "metrics": {}, "thresholds": [], "timeline": []},
        3.5,
    )


def test_write_reports_writes_both_files(tmp_path: Path) -> None:
    out = tmp_path / "gate-results" / "nested"
    paths = write_reports(sample(), out)
    assert paths == {"result": out / "result.json", "summary": out / "summary.md"}
    assert paths["summary"].read_text(encoding="utf-8").startswith("## ⛔ deploy-gate: block")
    assert sorted(p.name for p in out.iterdir()) == ["result.json", "summary.md"]  # no temp files


def test_result_json_is_exactly_to_json_with_stable_key_order(tmp_path: Path) -> None:
    result = sample()
    text = write_reports(result, tmp_path)["result"].read_text(encoding="utf-8")
    assert text == json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    assert text == result_json(result)
    data = json.loads(text)
    assert data == result.to_json()
    assert data["schema"] == SCHEMA_VERSION
    assert list(data) == [
        "schema", "verdict", "outcome", "reasons", "target", "totals", "suites", "stress",
        "duration_s", "cold_start",
    ]  # fmt: skip
    assert "test_ünïcode[✓]" in text  # UTF-8, not \u escapes
    assert '\n  "verdict": "block",\n' in text  # indent 2


def test_result_json_round_trips_through_from_json(tmp_path: Path) -> None:
    result = sample()
    path = write_reports(result, tmp_path)["result"]
    again = GateResult.from_json(json.loads(path.read_bytes().decode("utf-8")))
    assert again.to_json() == result.to_json()
    assert again.suites[0].problems[0].tier == "p1"
    assert again.verdict is Verdict.BLOCK


def test_rewriting_replaces_the_previous_files(tmp_path: Path) -> None:
    write_reports(sample(), tmp_path)
    passing = GateResult(Verdict.PASS, Outcome.PASSED, totals=Totals(tests=1, passed=1))
    paths = write_reports(passing, tmp_path)
    assert json.loads(paths["result"].read_text(encoding="utf-8"))["verdict"] == "pass"
    assert paths["summary"].read_text(encoding="utf-8").startswith("## ✅ deploy-gate: pass")


def test_documented_example_is_what_the_renderer_writes() -> None:
    page = (Path(__file__).parents[1] / "docs" / "reports.md").read_text(encoding="utf-8")
    section = page.split("## Example `summary.md`", 1)[1]
    example = section.split("````markdown\n", 1)[1].split("\n````", 1)[0] + "\n"
    problems = [
        Problem("tests/smoke/test_api.py::test_create_job", "failed",
                "AssertionError: POST /api/jobs answered 500, expected 201", 0.31,
                "tests/smoke/test_api.py", 42, "p1", 'response: {"error": "internal"}'),
    ]  # fmt: skip
    others = [
        Problem("tests/e2e/test_agents.py::test_ws_events", "skipped", "features.agents is false"),
        Problem("tests/e2e/test_jobs.py::test_retry", "flaky", "passed on rerun 1"),
    ]
    result = GateResult(
        Verdict.BLOCK,
        Outcome.FAILED,
        ["smoke: 1 test failed (blocking tier p1)", "e2e: 1 test skipped, budget 0"],
        "https://pr-42.staging.example.com",
        Totals(tests=14, passed=11, failed=1, skipped=1, flaky=1),
        [
            SuiteResult("smoke", Outcome.FAILED, Totals(6, 5, 1), 3.2, problems),
            SuiteResult("e2e", Outcome.FAILED, Totals(8, 6, 0, 0, 1, 1), 38.0, others),
        ],
        duration_s=41.2,
    )
    run_url = "https://github.com/acme/shop/actions/runs/123"
    assert render_markdown(result, run_url=run_url) == example
