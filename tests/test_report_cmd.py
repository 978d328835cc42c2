"""`gate report`: exit codes, suite naming, and the files it writes (docs/design.md)."""

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
    assert "BLOCK" in capsys.readouterr().out
    # The reason names the test and the first failure's symptom (its message).
    assert result_of(tmp_path / "out").reasons == ["e2e: 1 test failed: bad (nope)"]


def test_a_rerun_into_the_same_folder_leaves_no_stale_suite_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    smoke, e2e = write(tmp_path / "smoke.xml", PASS), write(tmp_path / "e2e.xml", PASS)
    assert main(["report", str(smoke), str(e2e), "--out", str(out)]) == 0
    assert (out / "junit" / "e2e.xml").is_file()
    assert main(["report", str(smoke), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "junit").glob("*.xml")) == ["merged.xml", "smoke.xml"]


def test_configured_secret_is_masked_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_KEY", "p4ss-w0rd-zz")
    config = tmp_path / "gate.toml"
    monkeypatch.setenv("STAGING_URL", "https://ci:hunter2-x@staging.example.com")
    config.write_text('target = "${STAGING_URL}"\nsecrets = ["${SHOP_KEY}"]\n')
    bad = (
        '<testcase classname="c" name="k"><failure message="key p4ss-w0rd-zz refused"/></testcase>'
    )
    report = write(tmp_path / "e2e.xml", bad)
    out = tmp_path / "out"
    assert main(["report", str(report), "--config", str(config), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "refused" in printed
    for text in (printed, (out / "summary.md").read_text(), (out / "result.json").read_text()):
        assert "p4ss-w0rd-zz" not in text
        assert "hunter2" not in text  # the target read from ${STAGING_URL} is a secret too


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
    spooled_decision = pipeline.decide(runs, validate_config({}, env={}), target=None)
    assert spooled_decision.accepted  # the reader kept spools: emit copies them
    reread_decision = pipeline.decide(runs, validate_config({}, env={}), target=None)
    reread_decision.close()  # no spools: emit reads the files itself
    assert pipeline.emit(spooled_decision, tmp_path / "spooled") == 1
    assert pipeline.emit(reread_decision, tmp_path / "reread") == 1
    spooled = (tmp_path / "spooled" / "junit" / "merged.xml").read_text()
    assert spooled == (tmp_path / "reread" / "junit" / "merged.xml").read_text()
    names = [c.get("name") for c in ET.fromstring(spooled).iter("testcase")]
    assert "jobs cancels a job" in names
    assert "refunds" in names


def test_a_failed_rerun_leaves_no_earlier_result_to_publish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write(tmp_path / "smoke.xml", PASS)
    out = tmp_path / "out"
    assert main(["report", str(report), "--out", str(out)]) == 0
    assert (out / "result.json").is_file()
    # A usage error this time: the earlier "pass" must not stay there for `gate publish`.
    assert main(["report", str(report), "--out", str(out), "--config", "missing.toml"]) == 2
    assert not (out / "result.json").exists()
    assert not (out / "summary.md").exists()


def test_emit_failing_after_writing_leaves_no_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gate.pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gate.pipeline, "print_summary", interrupted)
    report = write(tmp_path / "smoke.xml", PASS)
    out = tmp_path / "out"
    assert main(["report", str(report), "--out", str(out)]) == 1
    assert "interrupted: block" in capsys.readouterr().err
    assert not (out / "result.json").exists()


def test_report_says_which_config_and_no_target_and_one_duration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: `gate report` on an unrelated JUnit file read ./gate.toml silently, printed its
    target and said "5 tests in 0.0 s" over a table that said 3.1 s."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATE_CONFIG", raising=False)
    timed = (
        '<testcase classname="c" name="a" time="1.25"/>'
        '<testcase classname="c" name="b" time="1.85"/>'
    )
    report = write(tmp_path / "unrelated.xml", timed)
    assert main(["report", str(report), "--out", "out"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gate report: no configuration file (--config, $GATE_CONFIG, ")
    assert "2 tests in 3.1 s" in out
    assert "target" not in out
    assert result_of(tmp_path / "out").target is None
    assert "Target" not in (tmp_path / "out" / "summary.md").read_text()

    (tmp_path / "gate.toml").write_text('target = "https://staging.example.com"\n')
    assert main(["report", str(report), "--out", "out"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gate report: policy from gate.toml\n")
    assert "staging.example.com" not in out
