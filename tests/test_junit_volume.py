"""Many failures: every one listed by id and outcome, text within budgets, memory bounded."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from gate.cli import main
from gate.junit import fold, read_junit
from gate.model import CaseStatus

pytestmark = pytest.mark.timeout(120)


def failing_report(path: Path, count: int, message: int, trace: int) -> Path:
    with path.open("w") as fh:
        fh.write('<testsuite name="s">')
        for i in range(count):
            fh.write(
                f'<testcase classname="c" name="t{i}"><failure message="{"m" * message}">'
                f"{'x' * trace}</failure></testcase>"
            )
        fh.write('<testcase classname="c" name="ok"/></testsuite>')
    return path


def test_every_failure_is_listed_and_cut_messages_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fold, "MESSAGE_BUDGET", 2_000)
    monkeypatch.setattr(fold, "DETAILED_CASES", 5)
    report = failing_report(tmp_path / "many.xml", 200, message=100, trace=300)
    out = tmp_path / "out"
    assert main(["report", str(report), "--out", str(out)]) == 1
    (suite,) = json.loads((out / "result.json").read_text())["suites"]
    problems = suite["problems"]
    assert sorted(p["id"] for p in problems) == sorted(f"c::t{i}" for i in range(200))
    assert {p["outcome"] for p in problems} == {"failed"}
    with_message = [p for p in problems if p.get("message")]
    assert len(with_message) == 20  # 2,000 characters of 100-character messages
    assert suite["messages_cut"] == 180
    assert sum(1 for p in problems if p.get("detail")) == 5


def test_a_test_whose_text_was_cut_is_counted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fold, "MESSAGE_BUDGET", 0)
    attempt = '<testcase classname="c" name="t"><failure message="m"/></testcase>'
    report = tmp_path / "r.xml"
    report.write_text(f'<testsuite name="s">{attempt * 3}</testsuite>')
    data = read_junit([report])
    assert [c.status for c in data.cases] == [CaseStatus.FAILED]
    assert data.messages_cut == 1


def test_text_held_while_reading_does_not_grow_with_the_failures(tmp_path: Path) -> None:
    """3,000 failures with 1 KB messages and 4 KB traces (15 MB of text): the budgets hold."""
    report = failing_report(tmp_path / "big.xml", 3_000, message=1_000, trace=4_000)
    tracemalloc.start()
    try:
        data = read_junit([report])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(data.cases) == 3_000
    text = sum(len(c.message) + len(c.detail) for c in data.cases)
    assert text <= fold.MESSAGE_BUDGET + fold.DETAIL_BUDGET + 10_000
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"
