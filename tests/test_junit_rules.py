"""The reader's rules for identity, tests that did not run, attempt order, and non-regular files.

Each test here reproduces a case from issue 10 that an earlier reader got wrong (a false pass,
a not-run test counted as passed, attempt order ignored, a FIFO that hung the reader).
The rules themselves are documented in docs/junit.md.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from gate.cli import main
from gate.errors import GateError
from gate.junit import JUnitData, read_junit
from gate.junit.scan import JUnitReadError
from gate.model import CaseStatus

pytestmark = pytest.mark.timeout(60)


def write(path: Path, body: str, suite: str = "s") -> Path:
    path.write_text(f'<?xml version="1.0"?>\n<testsuite name="{suite}">{body}</testsuite>\n')
    return path


def by_status(data: JUnitData) -> dict[CaseStatus, int]:
    counts: dict[CaseStatus, int] = {}
    for case in data.cases:
        counts[case.status] = counts.get(case.status, 0) + 1
    return counts


NAMELESS = (
    "<testcase/>"
    "<testcase><skipped/></testcase>"
    '<testcase><failure message="boom"/></testcase>'
    '<testcase><error message="crash"/></testcase>'
)


def test_nameless_testcases_are_each_their_own_test(tmp_path: Path) -> None:
    data = read_junit([write(tmp_path / "r.xml", NAMELESS)])
    assert data.passed == 1
    assert by_status(data) == {
        CaseStatus.SKIPPED: 1,
        CaseStatus.FAILED: 1,
        CaseStatus.ERROR: 1,
    }
    assert data.nameless == 4
    assert len({c.id for c in data.cases}) == 3  # distinct ids, never folded


def test_nameless_testcases_block_and_the_report_says_names_are_missing(tmp_path: Path) -> None:
    report = write(tmp_path / "nameless.xml", NAMELESS)
    out = tmp_path / "out"
    assert main(["report", str(report), "--out", str(out)]) == 1
    result = json.loads((out / "result.json").read_text())
    assert result["verdict"] == "block"
    assert result["totals"] | {"quarantined": 0} == {
        "tests": 4,
        "passed": 1,
        "failed": 1,
        "errors": 1,
        "skipped": 1,
        "flaky": 0,
        "quarantined": 0,
    }
    assert any("no name" in r for r in result["reasons"]), result["reasons"]


def test_a_classname_without_a_name_is_still_nameless(tmp_path: Path) -> None:
    body = '<testcase classname="c"/><testcase classname="c"><failure/></testcase>'
    data = read_junit([write(tmp_path / "r.xml", body)])
    assert data.passed == 1
    assert by_status(data) == {CaseStatus.FAILED: 1}


def test_named_reruns_still_fold(tmp_path: Path) -> None:
    body = '<testcase classname="c" name="t"><failure/></testcase>' + PASS
    data = read_junit([write(tmp_path / "r.xml", body)])
    assert data.passed == 1
    assert by_status(data) == {CaseStatus.FLAKY: 1}
    assert data.nameless == 0


@pytest.mark.parametrize(
    "attributes",
    [
        'status="disabled"',  # CTest --output-junit, some C/C++ frameworks
        'status="notrun"',  # CTest
        'status="notrun" result="suppressed"',  # googletest DISABLED_ tests
        'status="run" result="skipped"',  # googletest GTEST_SKIP (older: no <skipped/>)
        'status="NotRun"',
    ],
)
def test_tests_that_did_not_run_are_skipped(tmp_path: Path, attributes: str) -> None:
    body = f'<testcase classname="c" name="ran"/><testcase classname="c" name="t" {attributes}/>'
    data = read_junit([write(tmp_path / "r.xml", body)])
    assert data.passed == 1
    assert [(c.name, c.status) for c in data.cases] == [("t", CaseStatus.SKIPPED)]


@pytest.mark.parametrize(
    "attributes", ['status="run" result="completed"', 'status="run"', 'status="passed"']
)
def test_tests_that_ran_are_not_skipped(tmp_path: Path, attributes: str) -> None:
    data = read_junit([write(tmp_path / "r.xml", f'<testcase name="t" {attributes}/>')])
    assert (data.passed, data.cases) == (1, [])


def test_a_failure_marked_not_run_is_still_a_failure(tmp_path: Path) -> None:
    body = '<testcase name="t" status="notrun"><failure message="f"/></testcase>'
    data = read_junit([write(tmp_path / "r.xml", body)])
    assert by_status(data) == {CaseStatus.FAILED: 1}


def test_disabled_tests_block_under_the_default_skip_budget(tmp_path: Path) -> None:
    body = '<testcase classname="c" name="a"/><testcase classname="c" name="b" status="disabled"/>'
    out = tmp_path / "out"
    assert main(["report", str(write(tmp_path / "r.xml", body)), "--out", str(out)]) == 1
    totals = json.loads((out / "result.json").read_text())["totals"]
    assert (totals["passed"], totals["skipped"]) == (1, 1)


PASS = '<testcase classname="c" name="t"/>'
FAIL = '<testcase classname="c" name="t"><failure message="late"/></testcase>'
ERROR = '<testcase classname="c" name="t"><error message="crash"/></testcase>'
SKIP = '<testcase classname="c" name="t"><skipped/></testcase>'


@pytest.mark.parametrize(
    ("attempts", "status"),
    [
        ((PASS, FAIL), CaseStatus.FAILED),  # the latest attempt failed
        ((FAIL, PASS), CaseStatus.FLAKY),
        ((FAIL, PASS, FAIL), CaseStatus.FAILED),
        ((PASS, FAIL, PASS), CaseStatus.FLAKY),
        ((PASS, ERROR), CaseStatus.ERROR),
        ((ERROR, FAIL), CaseStatus.ERROR),  # both failed: the most severe is kept
        ((FAIL, SKIP), CaseStatus.FAILED),  # a skip after a failure does not hide it
        ((PASS, SKIP), None),  # it ran and passed; the later attempt did not run
        ((SKIP, PASS), None),
        ((FAIL, PASS, SKIP), CaseStatus.FLAKY),
        ((SKIP, SKIP), CaseStatus.SKIPPED),
    ],
)
def test_attempts_fold_in_document_order(
    tmp_path: Path, attempts: tuple[str, ...], status: CaseStatus | None
) -> None:
    data = read_junit([write(tmp_path / "r.xml", "".join(attempts))])
    assert [c.status for c in data.cases] == ([status] if status else [])
    assert data.passed == (1 if status in (None, CaseStatus.FLAKY) else 0)


def test_attempts_fold_in_argument_order_across_files(tmp_path: Path) -> None:
    run = write(tmp_path / "a-run.xml", PASS)
    rerun = write(tmp_path / "b-rerun.xml", FAIL)
    assert [c.status for c in read_junit([run, rerun]).cases] == [CaseStatus.FAILED]
    assert [c.status for c in read_junit([rerun, run]).cases] == [CaseStatus.FLAKY]


def test_pass_then_fail_blocks(tmp_path: Path) -> None:
    report = write(tmp_path / "r.xml", PASS + FAIL)
    assert main(["report", str(report), "--out", str(tmp_path / "out")]) == 1


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    good = write(tmp_path / "good.xml", PASS)
    result: list[JUnitData] = []
    reader = threading.Thread(target=lambda: result.append(read_junit([fifo, good])), daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive():  # unblock the reader so the test process can end, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("the reader hung on a FIFO")
    (data,) = result
    assert data.errors == [f"{fifo}: not a regular file (a FIFO); refused"]
    assert data.passed == 1


def test_a_fifo_in_a_folder_is_refused_too(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.xml")
    write(tmp_path / "good.xml", PASS)
    data = read_junit([tmp_path])
    assert data.errors == [f"{tmp_path / 'pipe.xml'}: not a regular file (a FIFO); refused"]


def test_a_character_device_is_refused(tmp_path: Path) -> None:
    data = read_junit([Path("/dev/zero")])
    assert data.errors == ["/dev/zero: not a regular file (a character device); refused"]


def test_a_fifo_blocks_gate_report(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    good = write(tmp_path / "good.xml", PASS)
    out = tmp_path / "out"
    assert main(["report", str(fifo), str(good), "--out", str(out)]) == 1
    reasons = json.loads((out / "result.json").read_text())["reasons"]
    assert any("not a regular file" in r for r in reasons)


def test_read_errors_are_gate_errors() -> None:
    assert issubclass(JUnitReadError, GateError)
