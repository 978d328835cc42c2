"""`gate merge`: shards' JUnit and stress histograms into one re-decided result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stress_support import ok, serve, stress_config

from gate.cli import main
from gate.config import validate_config
from gate.pipeline import decide, emit
from gate.stress import run_stress

SMOKE_FAIL = """<?xml version="1.0"?>
<testsuite name="smoke" tests="1"><testcase classname="smoke" name="health">
<failure message="503 from /health"/></testcase></testsuite>
"""
SMOKE_PASS = """<?xml version="1.0"?>
<testsuite name="smoke" tests="1"><testcase classname="smoke" name="version"/></testsuite>
"""


def _shard(out: Path, url: str, thresholds: dict[str, list[str]], smoke: str | None) -> None:
    """What a matrix job's `gate run` leaves: result.json, junit/, stress/."""
    # Merging is under test, not the generator's self-check (tests/test_stress_* has its own):
    # in a full parallel test run this process can wait over 50 ms for a CPU, which the
    # default `late_after_ms` would call a saturated generator (an inconclusive shard).
    stress = {"rate": 50, "duration_s": 1, "workers": 1, "thresholds": thresholds}
    config = validate_config({"stress": {**stress, "late_after_ms": 2_000}}, env={})
    assert config.stress is not None
    stress = run_stress(config.stress, target=url, out_dir=out, secrets=frozenset(), progress=False)
    runs = [stress.suite]
    if smoke is not None:
        smoke_file = out / "pytest-smoke.xml"
        smoke_file.parent.mkdir(parents=True, exist_ok=True)
        smoke_file.write_text(smoke)
        from gate.model import SuiteRun

        runs.insert(0, SuiteRun("smoke", [smoke_file]))
    emit(decide(runs, config, target=url, stress=stress.summary), out)


@pytest.mark.slow
def test_merge_judges_thresholds_on_the_merged_histograms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thresholds = {"http_reqs": ["count>=100"], "http_req_duration": ["p(99)<5000"]}
    with serve({"GET /": ok}) as url:
        _shard(tmp_path / "a", url, thresholds, SMOKE_PASS)
        _shard(tmp_path / "b", url, thresholds, SMOKE_PASS)
    # Each shard alone sent 50 requests: below the 100 the threshold asks for.
    for shard in ("a", "b"):
        alone = json.loads((tmp_path / shard / "result.json").read_text())
        assert alone["verdict"] == "block"
        assert alone["stress"]["requests"] == 50
    out = tmp_path / "merged"
    code = main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)])
    result = json.loads((out / "result.json").read_text())
    assert result["stress"]["requests"] == 100
    assert result["stress"]["shards"] == 2
    assert [(t["expression"], t["ok"]) for t in result["stress"]["thresholds"]] == [
        ("count>=100", True),
        ("p(99)<5000", True),
    ]
    assert result["stress"]["metrics"]["http_req_duration"]["count"] == 100
    assert (code, result["verdict"]) == (0, "pass")
    suites = {s["name"]: s for s in result["suites"]}
    assert suites["smoke"]["totals"]["tests"] == 1  # the same test in both shards: one test
    assert (out / "stress" / "histograms.json").is_file()
    assert (out / "junit" / "stress.xml").is_file()
    capsys.readouterr()


def _fake_shard(out: Path, smoke: str) -> None:
    (out / "junit").mkdir(parents=True)
    (out / "junit" / "smoke.xml").write_text(smoke)
    result = {
        "schema": 1,
        "verdict": "pass",
        "outcome": "passed",
        "target": "http://x",
        "suites": [{"name": "smoke", "outcome": "passed"}],
        "stress": None,
        "duration_s": 1.0,
    }
    (out / "result.json").write_text(json.dumps(result))


def test_merge_blocks_on_a_failure_in_any_shard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_shard(tmp_path / "a", SMOKE_PASS)
    _fake_shard(tmp_path / "b", SMOKE_FAIL)
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 1
    result = json.loads((out / "result.json").read_text())
    assert result["totals"]["tests"] == 2
    assert result["totals"]["failed"] == 1
    assert result["stress"] is None
    capsys.readouterr()


def test_a_shard_that_did_not_finish_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_shard(tmp_path / "a", SMOKE_PASS)
    (tmp_path / "b").mkdir()
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 1
    result = json.loads((out / "result.json").read_text())
    assert any("result.json is missing" in r for r in result["reasons"])
    capsys.readouterr()


def test_a_crashed_suite_in_a_shard_stays_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_shard(tmp_path / "a", SMOKE_PASS)
    (tmp_path / "b").mkdir()
    result = {
        "schema": 1,
        "verdict": "block",
        "outcome": "error",
        "target": "http://x",
        "suites": [{"name": "e2e", "outcome": "error", "reasons": ["e2e: timed out"]}],
        "stress": None,
        "duration_s": 1.0,
    }
    (tmp_path / "b" / "result.json").write_text(json.dumps(result))
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 1
    merged = json.loads((out / "result.json").read_text())
    assert merged["outcome"] == "error"
    assert any("e2e: timed out" in r for r in merged["reasons"])
    capsys.readouterr()


def test_stress_summary_without_histograms_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_shard(tmp_path / "a", SMOKE_PASS)
    data = json.loads((tmp_path / "a" / "result.json").read_text())
    data["stress"] = {"requests": 10}
    (tmp_path / "a" / "result.json").write_text(json.dumps(data))
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "a"), "--out", str(out)]) == 1
    merged = json.loads((out / "result.json").read_text())
    assert any("the shard ran stress but left no stress data" in r for r in merged["reasons"])
    capsys.readouterr()


def test_missing_shard_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["merge", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "shard directory not found" in capsys.readouterr().err


def test_config_thresholds_override_the_shards(tmp_path: Path) -> None:
    from gate.stress.meta import RunMeta
    from gate.stress.metrics import Snapshot, new_histogram
    from gate.stress.shards import merge_stress

    for name, value in (("a", 100_000), ("b", 900_000)):
        hist = new_histogram()
        hist.record_value(value)
        snap = Snapshot(
            histograms={"http_req_duration": hist},
            meta=RunMeta(
                thresholds=[("http_req_duration", "max<10000", False, 0.0)], elapsed_s=1.0
            ),
        )
        snap.write(tmp_path / name / "stress" / "histograms.json")
    files = [tmp_path / n / "stress" / "histograms.json" for n in ("a", "b")]
    run = merge_stress(
        files,
        out_dir=tmp_path / "out",
        secrets=frozenset(),
        config=stress_config(thresholds={"http_req_duration": ["max<500"]}),
    )
    (judged,) = run.summary.to_json()["thresholds"]
    assert (judged["expression"], judged["ok"]) == ("max<500", False)
    assert judged["message"].startswith("max=900.")


@pytest.mark.parametrize("content", ['{"schema": 1, "suites": "x"}', "[1]", '{"schema": 7}'])
def test_a_shard_result_of_another_shape_blocks_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    _fake_shard(tmp_path / "a", SMOKE_PASS)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "result.json").write_text(content)
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 1
    result = json.loads((out / "result.json").read_text())
    assert any(
        "b/result.json is missing, unreadable or not a deploy-gate" in r for r in result["reasons"]
    )
    assert "internal error" not in capsys.readouterr().err


def test_a_shard_whose_stress_crashed_keeps_blocking_and_stale_histograms_are_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_shard(tmp_path / "a", SMOKE_PASS)
    (tmp_path / "a" / "stress").mkdir()
    (tmp_path / "a" / "stress" / "histograms.json").write_text("left by an earlier run")
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "a"), "--out", str(out)]) == 0  # stale file ignored
    assert [s["name"] for s in json.loads((out / "result.json").read_text())["suites"]] == ["smoke"]
    data = json.loads((tmp_path / "a" / "result.json").read_text())
    data["suites"].append(
        {"name": "stress", "outcome": "error", "reasons": ["stress: crashed: RuntimeError: boom"]}
    )
    data.update(verdict="block", outcome="error")
    (tmp_path / "a" / "result.json").write_text(json.dumps(data))
    assert main(["merge", str(tmp_path / "a"), "--out", str(out)]) == 1
    merged = json.loads((out / "result.json").read_text())
    assert any("RuntimeError: boom" in r for r in merged["reasons"])
    capsys.readouterr()


@pytest.mark.slow
def test_stress_that_crashed_in_one_shard_blocks_the_merged_stress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve({"GET /": ok}) as url:
        _shard(tmp_path / "a", url, {"http_req_duration": ["p(99)<5000"]}, SMOKE_PASS)
    _fake_shard(tmp_path / "b", SMOKE_PASS)
    data = json.loads((tmp_path / "b" / "result.json").read_text())
    data["suites"].append(
        {"name": "stress", "outcome": "error", "reasons": ["stress: crashed: RuntimeError: boom"]}
    )
    data.update(verdict="block", outcome="error")
    (tmp_path / "b" / "result.json").write_text(json.dumps(data))
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 1
    merged = json.loads((out / "result.json").read_text())
    suites = {s["name"]: s for s in merged["suites"]}
    assert suites["stress"]["outcome"] == "error"
    assert any("RuntimeError: boom" in r for r in suites["stress"]["reasons"])
    assert merged["stress"]["requests"] == 50  # shard a's data is still merged and shown
    capsys.readouterr()


def test_a_suite_whose_junit_is_missing_from_the_shard_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_shard(tmp_path / "a", SMOKE_PASS)
    _fake_shard(tmp_path / "b", SMOKE_PASS)
    (tmp_path / "b" / "junit" / "smoke.xml").unlink()  # a partial artifact upload
    out = tmp_path / "out"
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 1
    merged = json.loads((out / "result.json").read_text())
    assert any(
        "result.json reports smoke passed, but its JUnit (junit/smoke.xml) is missing" in r
        for r in merged["reasons"]
    )
    capsys.readouterr()


@pytest.mark.slow
def test_the_shard_file_does_not_keep_a_secret_target(tmp_path: Path) -> None:
    config = validate_config({"stress": {"rate": 20, "duration_s": 1, "workers": 1}}, env={})
    assert config.stress is not None
    with serve({"GET /": ok}) as url:
        run_stress(
            config.stress, target=url, out_dir=tmp_path, secrets=frozenset([url]), progress=False
        )
    assert url not in (tmp_path / "stress" / "histograms.json").read_text()
