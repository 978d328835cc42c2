"""`gate report`: exit codes, suite naming, and the files it writes (contract: DESIGN.md 3)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.cli import main
from gate.model import GateResult, Outcome, Verdict

DATA = Path(__file__).parent / "data" / "junit"


def write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'<?xml version="1.0"?>\n<testsuites><testsuite name="s">{body}</testsuite></testsuites>'
    )
    return path


PASS = '<testcase classname="c" name="ok"/>'
FAIL = '<testcase classname="c" name="bad"><failure message="nope">trace</failure></testcase>'


def result_of(out: Path) -> GateResult:
    return GateResult.from_json(json.loads((out / "result.json").read_text()))


def test_pass_exits_0_and_writes_outputs(tmp_path: Path) -> None:
    report = write(tmp_path / "smoke.xml", PASS)
    out = tmp_path / "out"
    assert main(["report", str(report), "--out", str(out)]) == 0
    result = result_of(out)
    assert (result.verdict, result.outcome) == (Verdict.PASS, Outcome.PASSED)
    assert [s.name for s in result.suites] == ["smoke"]
    assert (out / "summary.md").is_file()
    assert (out / "junit" / "smoke.xml").read_bytes() == report.read_bytes()
    merged = ET.parse(out / "junit" / "merged.xml").getroot()
    assert merged.tag == "testsuites"
    suite = merged.find("testsuite")
    assert suite is not None
    assert suite.get("name") == "smoke"
    assert [c.get("name") for c in merged.iter("testcase")] == ["ok"]


def test_failure_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = write(tmp_path / "e2e.xml", PASS + FAIL)
    assert main(["report", str(report), "--out", str(tmp_path / "out")]) == 1
    assert "block" in capsys.readouterr().out
    assert result_of(tmp_path / "out").reasons == ["e2e: 1 test failed: bad"]


def test_missing_path_and_empty_glob_block_naming_the_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = write(tmp_path / "smoke.xml", PASS)
    missing = tmp_path / "nope" / "junit.xml"
    code = main(["report", str(good), str(missing), str(tmp_path / "*.junit"), "--out", str(out)])
    assert code == 1
    result = result_of(out)
    assert result.outcome is Outcome.ERROR
    assert f"junit: {missing}: no such file or folder" in result.reasons
    assert any("*.junit: the glob matched no file" in r for r in result.reasons)
    assert next(s for s in result.suites if s.name == "smoke").outcome is Outcome.PASSED
    merged = ET.parse(out / "junit" / "merged.xml").getroot()
    policy_cases = [c for c in merged.iter("testcase") if c.get("classname") == "deploy-gate"]
    assert len(policy_cases) == 2  # the two broken suites explain themselves in JUnit too


def test_suite_names_from_folders_globs_and_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "reports" / "e2e" / "a.xml", PASS)
    write(tmp_path / "reports" / "e2e" / "deep" / "b.xml", '<testcase classname="c" name="b"/>')
    write(tmp_path / "shards" / "one.xml", '<testcase classname="c" name="x"/>')
    write(tmp_path / "shards" / "two.xml", '<testcase classname="c" name="y"/>')
    write(tmp_path / "load" / "k6.xml", PASS)
    (tmp_path / "gate.toml").write_text(
        '[policy.suites.stress]\nblocking = false\njunit = ["load/*.xml"]\n'
    )
    code = main(["report", "reports/e2e", "shards/*.xml", "load/k6.xml", "--out", "out"])
    assert code == 0
    result = result_of(tmp_path / "out")
    assert {s.name: s.totals.tests for s in result.suites} == {"e2e": 2, "shards": 2, "stress": 1}
    assert next(s for s in result.suites if s.name == "stress").blocking is False
    copies = sorted(p.name for p in (tmp_path / "out" / "junit").iterdir())
    assert copies == [
        "e2e-2.xml",
        "e2e.xml",
        "merged.xml",
        "shards-2.xml",
        "shards.xml",
        "stress.xml",
    ]


def test_bad_files_in_merged_output_are_left_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["report", str(DATA / "xxe.xml"), str(DATA / "jest_junit.xml"), "--out", str(out)])
    assert code == 1
    text = (out / "junit" / "merged.xml").read_text()
    merged = ET.fromstring(text)  # well-formed although one input was hostile
    assert "ENTITY" not in text
    names = [c.get("name") for c in merged.iter("testcase")]
    assert "api client retries on 503" in names
    assert ("deploy-gate", "policy") in [
        (c.get("classname"), c.get("name")) for c in merged.iter("testcase")
    ]


def test_missing_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = write(tmp_path / "smoke.xml", PASS)
    assert main(["report", str(report), "--config", str(tmp_path / "gate.toml")]) == 2
    assert str(tmp_path / "gate.toml") in capsys.readouterr().err


def test_real_command_line(tmp_path: Path) -> None:
    """The installed entry point, as CI would call it."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "report",
            str(DATA / "surefire_reruns.xml"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    result = result_of(tmp_path)
    assert result.totals.to_json() == {
        "tests": 6,
        "passed": 3,
        "failed": 1,
        "errors": 1,
        "skipped": 1,
        "flaky": 2,
        "quarantined": 0,
    }


def test_empty_report_is_inconclusive_and_merged_stays_valid(tmp_path: Path) -> None:
    empty = tmp_path / "smoke.xml"
    empty.write_text("<testsuites/>\n")
    out = tmp_path / "out"
    assert main(["report", str(empty), str(DATA / "truncated.xml"), "--out", str(out)]) == 1
    result = result_of(out)
    assert result.reasons[0] == "smoke: no tests found (minimum 1)"
    assert result.reasons[1].endswith(
        "truncated.xml: malformed or truncated XML: unclosed token: line 6, column 4"
    )
    merged = ET.parse(out / "junit" / "merged.xml").getroot()
    assert [s.get("name") for s in merged.findall("testsuite")] == ["smoke", "truncated"]


def test_merged_file_is_the_same_with_or_without_the_readers_spool(tmp_path: Path) -> None:
    """emit copies what decide read; for files decide never saw it reads them itself."""
    from gate import pipeline
    from gate.config import validate_config
    from gate.model import SuiteRun

    runs = [
        SuiteRun("e2e", [DATA / "mocha_junit.xml", DATA / "surefire_reruns.xml"]),
        SuiteRun("bad", [DATA / "xxe.xml", DATA / "namespaced_nested.xml"]),
    ]
    result = pipeline.decide(runs, validate_config({}, env={}), target=None)
    assert pipeline.emit(result, runs, tmp_path / "spooled") == 1
    pipeline._ACCEPTED.clear()
    assert pipeline.emit(result, runs, tmp_path / "reread") == 1
    spooled = (tmp_path / "spooled" / "junit" / "merged.xml").read_text()
    assert spooled == (tmp_path / "reread" / "junit" / "merged.xml").read_text()
    names = [c.get("name") for c in ET.fromstring(spooled).iter("testcase")]
    assert "jobs cancels a job" in names
    assert "refunds" in names
