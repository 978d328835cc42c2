"""Real JUnit from a real producer: pytest itself, run in a subprocess, both JUnit families."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gate.junit import read_junit
from gate.model import CaseStatus

TESTS = """
import pytest

def test_pass():
    assert True

def test_fail():
    assert 1 == 2, "one is not two"

def test_skip():
    pytest.skip("not on this target")

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

def test_error(broken):
    pass

@pytest.mark.xfail(reason="known bug 42")
def test_xfail():
    assert False

@pytest.mark.xfail(reason="fixed?", strict=True)
def test_xpass_strict():
    assert True

@pytest.mark.parametrize("value", [1, 2])
def test_param(value):
    assert value == 1

class TestGroup:
    def test_in_class(self):
        print("captured output line")
        assert "a" in "b"
"""


@pytest.fixture(scope="module", params=["xunit1", "xunit2"])
def pytest_report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp(request.param)
    (folder / "test_sample.py").write_text(TESTS)
    report = folder / "report.xml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            f"junit_family={request.param}",
            "-o",
            "junit_logging=all",
            f"--junitxml={report}",
            "test_sample.py",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return report


def test_pytest_outcomes(pytest_report: Path) -> None:
    data = read_junit([pytest_report])
    assert not data.errors
    by_name = {case.name: case for case in data.cases}
    assert {name: case.status for name, case in by_name.items()} == {
        "test_fail": CaseStatus.FAILED,
        "test_skip": CaseStatus.SKIPPED,
        "test_error": CaseStatus.ERROR,
        "test_xfail": CaseStatus.SKIPPED,
        "test_xpass_strict": CaseStatus.FAILED,
        "test_param[2]": CaseStatus.FAILED,
        "test_in_class": CaseStatus.FAILED,
    }
    assert data.passed == 2  # test_pass, test_param[1]
    assert by_name["test_fail"].id == "test_sample::test_fail"
    assert by_name["test_in_class"].id == "test_sample.TestGroup::test_in_class"
    assert "one is not two" in by_name["test_fail"].message
    assert "fixture exploded" in by_name["test_error"].detail
    assert by_name["test_skip"].message == "not on this target"
    assert "known bug 42" in by_name["test_xfail"].message
    assert "captured output line" in by_name["test_in_class"].detail


def test_pytest_xunit1_has_file_and_line(pytest_report: Path) -> None:
    data = read_junit([pytest_report])
    failed = next(c for c in data.cases if c.name == "test_fail")
    if pytest_report.parent.name.startswith("xunit1"):
        assert (failed.file, failed.line) == ("test_sample.py", 6)  # 0-based line of the def
    else:
        assert failed.file is None
