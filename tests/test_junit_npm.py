"""Real JUnit from real JavaScript producers: jest + jest-junit, mocha + mocha-junit-reporter.

The tools are installed project-locally by tests/tools/install-extras.sh (.cache/npm-junit);
without node or that folder these tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gate.junit import read_junit
from gate.model import CaseStatus
from gate.redact import Redactor

TOOLS = Path(__file__).resolve().parents[1] / ".cache" / "npm-junit" / "node_modules"


def tool(name: str) -> Path:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (tests/tools/install-extras.sh needs npm)")
    path = TOOLS / ".bin" / name
    if not path.exists():
        pytest.skip(f"{path} missing: run tests/tools/install-extras.sh")
    return path


JEST_TESTS = """
describe('api client', () => {
  test('fetches jobs', () => { expect(1).toBe(1); });
  test('retries on 503', () => { expect(1).toBe(3); });
  test.skip('streams events', () => {});
  test('throws', () => { throw new Error('boom with token=abcd1234secret'); });
});
"""

MOCHA_TESTS = """
const assert = require('assert');
describe('jobs', function () {
  it('lists jobs', function () { assert.strictEqual(1, 1); });
  it('cancels a job', function () { assert.strictEqual('running', 'cancelled'); });
  it.skip('archives a job', function () {});
});
"""


def test_jest_junit(tmp_path: Path) -> None:
    jest = tool("jest")
    (tmp_path / "package.json").write_text('{"name": "sample"}')
    (tmp_path / "jest.config.json").write_text('{"testEnvironment": "node"}')
    (tmp_path / "client.test.js").write_text(JEST_TESTS)
    env = {**os.environ, "JEST_JUNIT_OUTPUT_DIR": str(tmp_path), "JEST_JUNIT_OUTPUT_NAME": "j.xml"}
    proc = subprocess.run(
        [str(jest), "--ci", "--rootDir", str(tmp_path), f"--reporters={TOOLS / 'jest-junit'}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    data = read_junit([tmp_path / "j.xml"], redact=Redactor())
    assert not data.errors
    assert {c.id: c.status for c in data.cases} == {
        "api client retries on 503": CaseStatus.FAILED,
        "api client streams events": CaseStatus.SKIPPED,
        "api client throws": CaseStatus.FAILED,
    }
    assert data.passed == 1
    throws = next(c for c in data.cases if c.id == "api client throws")
    assert throws.message == "Error: boom with token=***"
    assert "client.test.js:6:" in throws.detail


def test_mocha_junit_reporter(tmp_path: Path) -> None:
    mocha = tool("mocha")
    (tmp_path / "jobs.spec.js").write_text(MOCHA_TESTS)
    report = tmp_path / "m.xml"
    proc = subprocess.run(
        [
            str(mocha),
            "--reporter",
            str(TOOLS / "mocha-junit-reporter"),
            "--reporter-options",
            f"mochaFile={report},includePending=true",
            "jobs.spec.js",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    data = read_junit([report])
    assert not data.errors
    assert {c.id: c.status for c in data.cases} == {
        "jobs cancels a job": CaseStatus.FAILED,
        "jobs archives a job": CaseStatus.SKIPPED,
    }
    assert data.passed == 1
    failed = data.cases[0]
    assert failed.message.startswith("Expected values to be strictly equal")
    assert "jobs.spec.js:5:" in failed.detail
