"""`--baseline DIR`: a run judged against an earlier one, end to end on real servers and files.

Latency: a real aiohttp server on loopback whose response delay the test changes between two
`gate run`s (the stress suite in its child process, as in production). Tests: `gate report` on
JUnit files, the earlier output folder as the baseline.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp import web
from stress_support import serve

from gate.cli import main
from gate.model import GateResult, Outcome, Verdict

ENDPOINT = "GET /api/items"


class Delayed:
    """Answers after `delay_s` (changed by the test between runs)."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    async def __call__(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.delay_s)
        return web.Response(text="[]")


def stress_toml(path: Path, extra: str = "") -> Path:
    path.write_text(
        "[stress]\nrate = 100\nduration_s = 2\nworkers = 1\n"
        '[[stress.requests]]\npath = "/api/items"\n'
        '[stress.thresholds]\nhttp_req_duration = ["p(95)<2000"]\n' + extra
    )
    return path


def result_of(out: Path) -> GateResult:
    return GateResult.from_json(json.loads((out / "result.json").read_text()))


def gate_run(config: Path, url: str, out: Path, *baseline: str) -> int:
    args = ["run", "--config", str(config), "--target", url, "--suites", "stress"]
    return main([*args, "--out", str(out), *baseline])


@pytest.mark.slow
def test_unchanged_latency_passes_and_slower_blocks_naming_the_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = stress_toml(tmp_path / "gate.toml")
    # 50 ms, so that a loaded machine's few milliseconds of jitter stay under the practical floor
    # (+20% and +5 ms); the statistics' edges are tested on constructed histograms.
    handler = Delayed(0.050)
    with serve({"GET /api/items": handler}) as url:
        assert gate_run(config, url, tmp_path / "first") == 0
        same = gate_run(config, url, tmp_path / "same", "--baseline", str(tmp_path / "first"))
        handler.delay_s = 0.250
        slower = gate_run(config, url, tmp_path / "slow", "--baseline", str(tmp_path / "first"))
    printed = capsys.readouterr().out

    assert same == 0
    unchanged = result_of(tmp_path / "same")
    assert unchanged.verdict is Verdict.PASS
    assert unchanged.baseline is not None
    assert unchanged.baseline.comparable
    (row,) = unchanged.baseline.endpoints
    assert row.name == ENDPOINT
    # the same server: never a regression (a first run slowed by a busy machine can make the
    # second one "improved", which passes as well)
    assert row.verdict in ("unchanged", "improved")
    assert row.now.count == row.base.count == 200
    summary = (tmp_path / "same" / "summary.md").read_text()
    assert "### ⚖️ Against the baseline" in summary
    assert "p95 latency (ms): baseline, then this run" in summary
    assert "baseline:" in printed

    assert slower == 1
    blocked = result_of(tmp_path / "slow")
    assert (blocked.verdict, blocked.outcome) == (Verdict.BLOCK, Outcome.FAILED)
    (reason,) = [r for r in blocked.reasons if "regression" in r]
    assert reason.startswith(f"stress: regression: {ENDPOINT} p50 ")
    assert "p < 1e-9" in reason
    assert "vs baseline" in reason
    assert blocked.baseline is not None
    (row,) = blocked.baseline.endpoints
    assert row.verdict == "regressed"
    assert row.shift_ms is not None
    assert row.shift_ms > 150
    assert "❌ regressed" in (tmp_path / "slow" / "summary.md").read_text()


@pytest.mark.slow
def test_a_different_load_shape_is_not_compared(tmp_path: Path) -> None:
    handler = Delayed(0.001)
    with serve({"GET /api/items": handler}) as url:
        assert gate_run(stress_toml(tmp_path / "a.toml"), url, tmp_path / "a") == 0
        config = tmp_path / "b.toml"
        config.write_text(
            stress_toml(tmp_path / "b.toml").read_text().replace("rate = 100", "rate = 25")
        )
        handler.delay_s = 0.05  # slower, but the shape differs: no verdict from the baseline
        assert gate_run(config, url, tmp_path / "b", "--baseline", str(tmp_path / "a")) == 0
    report = result_of(tmp_path / "b").baseline
    assert report is not None
    assert not report.comparable
    assert any("planned rate 100 req/s in the baseline, 25 req/s now" in w for w in report.why_not)
    assert report.endpoints == []


@pytest.mark.slow
def test_relative_threshold_is_skipped_without_a_baseline_and_judged_with_one(
    tmp_path: Path,
) -> None:
    """No baseline: skipped as "no baseline" (the policy here allows two skips); then judged."""
    config = stress_toml(
        tmp_path / "gate.toml",
        'http_req_failed = ["rate < baseline + 0.005"]\n[policy.suites.stress]\nskip_budget = 2\n',
    )
    config.write_text(
        config.read_text().replace('["p(95)<2000"]', '["p(95)<2000", "p(95) < baseline * 1.5"]')
    )
    handler = Delayed(0.002)
    with serve({"GET /api/items": handler}) as url:
        assert gate_run(config, url, tmp_path / "first") == 0
        handler.delay_s = 0.040
        blocked = gate_run(config, url, tmp_path / "slow", "--baseline", str(tmp_path / "first"))
    first = result_of(tmp_path / "first")
    assert first.stress is not None
    skipped = {t.expression: t.message for t in first.stress.thresholds if t.ok is None}
    assert skipped["p(95)<baseline*1.5"].startswith("no baseline")
    assert (tmp_path / "first" / "summary.md").read_text().count("no baseline") >= 2
    assert blocked == 1
    slow = result_of(tmp_path / "slow")
    assert slow.stress is not None
    judged = {t.expression: t for t in slow.stress.thresholds}
    assert judged["p(95)<baseline*1.5"].ok is False
    assert "(baseline " in judged["p(95)<baseline*1.5"].message
    assert judged["rate<baseline+0.005"].ok is True


@pytest.mark.slow
def test_merge_compares_the_merged_shards_with_the_baseline(tmp_path: Path) -> None:
    """Two shards merged, against the merge of two earlier shards: the same histograms the
    verdict is judged on, so the regression is found on all samples together."""
    from test_merge import _shard

    handler = Delayed(0.002)
    limits = {"http_req_duration": ["p(99)<5000", "p(95) < baseline * 2"]}
    with serve({"GET /": handler}) as url:
        _shard(tmp_path / "a", url, limits, None)
        _shard(tmp_path / "b", url, limits, None)
        handler.delay_s = 0.040
        _shard(tmp_path / "c", url, limits, None)
        _shard(tmp_path / "d", url, limits, None)
    config = tmp_path / "gate.toml"
    config.write_text("[policy.suites.stress]\nskip_budget = 1\n")  # first merge: no baseline
    first = tmp_path / "first"
    args = ["merge", "--config", str(config)]
    assert main([*args, str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(first)]) == 0
    second = tmp_path / "second"
    code = main(
        [
            *args,
            str(tmp_path / "c"),
            str(tmp_path / "d"),
            "--out",
            str(second),
            "--baseline",
            str(first),
        ]
    )
    assert code == 1
    result = result_of(second)
    assert result.baseline is not None
    assert result.baseline.comparable, result.baseline.why_not
    (row,) = result.baseline.endpoints
    assert (row.name, row.verdict, row.now.count) == ("GET /", "regressed", 100)
    assert any(r.startswith("stress: regression: GET / p50") for r in result.reasons)
    assert result.stress is not None
    relative = next(t for t in result.stress.thresholds if "baseline" in t.expression)
    assert relative.ok is False  # judged on the merged histograms against the baseline's


# --- tests: new, known, fixed, missing ---------------------------------------------------------


def junit(path: Path, cases: dict[str, bool]) -> Path:
    body = "".join(
        f'<testcase classname="api" name="{name}"/>'
        if ok
        else f'<testcase classname="api" name="{name}"><failure message="boom"/></testcase>'
        for name, ok in cases.items()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<testsuites><testsuite name="e2e">{body}</testsuite></testsuites>')
    return path


def report(tmp_path: Path, name: str, cases: dict[str, bool], *extra: str) -> int:
    xml = junit(tmp_path / name / "in" / "e2e.xml", cases)
    return main(["report", str(xml), "--out", str(tmp_path / name / "out"), *extra])


def warn_config(tmp_path: Path, body: str = 'known_failures = "warn"\n') -> str:
    path = tmp_path / "gate.toml"
    path.write_text("[baseline]\n" + body)
    return str(path)


def test_same_failures_as_baseline_are_a_warned_pass_under_known_failures_warn(
    tmp_path: Path,
) -> None:
    cases = {"test_a": True, "test_b": False}
    assert report(tmp_path, "base", cases) == 1
    base = str(tmp_path / "base" / "out")
    config = warn_config(tmp_path)
    assert report(tmp_path, "now", cases, "--baseline", base, "--config", config) == 0
    result = result_of(tmp_path / "now" / "out")
    assert (result.verdict, result.outcome) == (Verdict.PASS, Outcome.WARNED)
    assert result.baseline is not None
    assert result.baseline.tests.known_failures == ["e2e: api::test_b"]
    assert any("known failure" in r and "api::test_b" in r for r in result.reasons)
    assert "Known failures" in (tmp_path / "now" / "out" / "summary.md").read_text()


def test_known_failures_block_by_default(tmp_path: Path) -> None:
    cases = {"test_a": True, "test_b": False}
    assert report(tmp_path, "base", cases) == 1
    base = str(tmp_path / "base" / "out")
    assert report(tmp_path, "now", cases, "--baseline", base) == 1


def test_one_new_failure_blocks_and_is_named(tmp_path: Path) -> None:
    assert report(tmp_path, "base", {"test_a": True, "test_b": False, "test_c": True}) == 1
    base = str(tmp_path / "base" / "out")
    config = warn_config(tmp_path)
    now = {"test_a": True, "test_b": False, "test_c": False}
    assert report(tmp_path, "now", now, "--baseline", base, "--config", config) == 1
    result = result_of(tmp_path / "now" / "out")
    assert result.baseline is not None
    assert result.baseline.tests.new_failures == ["e2e: api::test_c"]
    assert result.baseline.tests.known_failures == ["e2e: api::test_b"]
    assert any("api::test_c: new failure" in r for r in result.reasons)


def test_fixed_and_missing_tests(tmp_path: Path) -> None:
    assert report(tmp_path, "base", {"a": True, "b": False, "c": True}) == 1
    base = str(tmp_path / "base" / "out")
    assert report(tmp_path, "now", {"a": True, "b": True}, "--baseline", base) == 0
    result = result_of(tmp_path / "now" / "out")
    assert result.outcome is Outcome.WARNED  # missing_tests = "warn" (default)
    assert result.baseline is not None
    assert result.baseline.tests.fixed == ["e2e: api::b"]
    assert result.baseline.tests.missing == ["e2e: 1 of the baseline's 3 tests did not run"]
    config = warn_config(tmp_path, 'missing_tests = "block"\n')
    args = ("--baseline", base, "--config", config)
    assert report(tmp_path, "again", {"a": True, "b": True}, *args) == 1


# --- bad baselines -----------------------------------------------------------------------------


def test_bad_baseline_folders_exit_2_naming_path_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml = str(junit(tmp_path / "in" / "e2e.xml", {"a": True}))
    out = str(tmp_path / "out")

    def run(baseline: Path, *extra: str) -> tuple[int, str]:
        code = main(["report", xml, "--out", out, "--baseline", str(baseline), *extra])
        return code, capsys.readouterr().err

    code, err = run(tmp_path / "nowhere")
    assert code == 2
    assert f"baseline {tmp_path / 'nowhere'}: folder not found" in err

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    code, err = run(foreign)
    assert (code, "no result.json; not a deploy-gate output folder" in err) == (2, True)

    other = tmp_path / "other"
    other.mkdir()
    (other / "result.json").write_text('{"schema": 2, "verdict": "pass"}')
    code, err = run(other)
    assert code == 2
    assert "expected result.json schema 1, found 2" in err

    assert main(["report", xml, "--out", str(tmp_path / "good")]) == 0
    broken = tmp_path / "good" / "stress" / "histograms.json"
    broken.parent.mkdir()
    broken.write_text('{"format": "deploy-gate-stress", "version": 1, "histograms": {"x": "?"}}')
    code, err = run(tmp_path / "good")
    assert code == 2
    assert f"baseline {broken}: corrupt stress histograms" in err

    # auto mode (the action): a warning, no comparison, and the verdict of this run alone
    code, err = run(tmp_path / "nowhere", "--baseline-missing-ok")
    assert code == 0
    assert "warning" in err
    result = result_of(Path(out))
    assert result.baseline is not None
    assert not result.baseline.comparable
    assert "folder not found" in result.baseline.why_not[0]


def test_baseline_equal_to_out_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml = str(junit(tmp_path / "in" / "e2e.xml", {"a": True}))
    out = str(tmp_path / "out")
    assert main(["report", xml, "--out", out]) == 0
    assert main(["report", xml, "--out", out, "--baseline", out]) == 2
    assert "is also the --out folder" in capsys.readouterr().err
    assert (tmp_path / "out" / "result.json").is_file()


def test_result_json_round_trips_the_baseline_object(tmp_path: Path) -> None:
    assert report(tmp_path, "base", {"a": True, "b": False}) == 1
    base = str(tmp_path / "base" / "out")
    assert report(tmp_path, "now", {"a": False, "b": False}, "--baseline", base) == 1
    data = json.loads((tmp_path / "now" / "out" / "result.json").read_text())
    assert data["schema"] == 1
    assert set(data["baseline"]) >= {"source", "comparable", "findings", "tests", "endpoints"}
    assert data["baseline"]["source"]["path"] == base
    assert data["baseline"]["source"]["verdict"] == "block"
    assert GateResult.from_json(data).to_json() == data
