"""Quarantine-ready ids (issue 15): what the terminal summary and summary.md print for a failing
test, pasted into gate.toml as printed, quarantines exactly that test."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path
from xml.sax.saxutils import quoteattr

from gate.config import validate_config
from gate.model import GateResult, Outcome, SuiteRun, Verdict
from gate.pipeline import decide
from gate.reports import print_summary, render_markdown

NAMES = [
    ("smoke.security_headers", "security headers on /: x-frame-options"),
    ("smoke.http", "GET /items?sort=* -> 200 within 500 ms"),
    ("tests.test_api", "test_param[a-b?]"),
    ("tests.test_long", "test_" + "x" * 400),
]


def failing_run(tmp_path: Path) -> list[SuiteRun]:
    cases = "".join(
        f"<testcase classname={quoteattr(c)} name={quoteattr(n)}><failure message='no'/></testcase>"
        for c, n in NAMES
    )
    cases += "<testcase classname='tests.test_api' name='test_param[a-c]'/>"  # passes
    path = tmp_path / "smoke.xml"
    path.write_text(f"<testsuite name='smoke'>{cases}</testsuite>")
    return [SuiteRun("smoke", [path])]


def gate(runs: list[SuiteRun], quarantine: list[dict[str, str]] | None = None) -> GateResult:
    config = validate_config({"policy": {"quarantine": quarantine or []}}, env={})
    return decide(runs, config, target="http://127.0.0.1:1").result


def pasted(block: str) -> list[dict[str, str]]:
    """The `quarantine = [...]` block as a person pastes it into gate.toml."""
    entries: list[dict[str, str]] = tomllib.loads(block)["policy"]["quarantine"]
    return entries


def test_terminal_block_pasted_into_gate_toml_quarantines_exactly_the_failing_tests(
    tmp_path: Path,
) -> None:
    runs = failing_run(tmp_path)
    first = gate(runs)
    assert first.totals.failed == len(NAMES)
    out = io.StringIO()
    print_summary(first, out, tty=False, env={})
    text = out.getvalue()
    head = "to quarantine (known-bad, reported but not blocking), add to gate.toml:\n"
    assert head in text
    block = text.split(head, 1)[1].split("\n  ]\n", 1)[0] + "\n  ]\n"
    entries = pasted(block)
    assert [e["suite"] for e in entries] == ["smoke"] * len(NAMES)
    assert entries[0]["id"] == "smoke.security_headers::security headers on /: x-frame-options"
    assert entries[3]["id"].endswith("*")  # a 400-character name is cut into a pattern
    again = gate(runs, entries)
    assert (again.verdict, again.totals.failed, again.totals.quarantined) == (
        Verdict.PASS,
        0,
        len(NAMES),
    )
    assert again.outcome is Outcome.WARNED
    assert again.totals.passed == 1  # test_param[a-c] is not caught by test_param[a-b?]


def test_summary_md_shows_the_same_entry_for_each_failing_test(tmp_path: Path) -> None:
    result = gate(failing_run(tmp_path))
    md = render_markdown(result)
    shown = re.findall(r"quarantine with `\[policy\] quarantine = \[...\]`: `(\{.*?\},)`", md)
    assert len(shown) == len(NAMES)
    entries = pasted("[policy]\nquarantine = [\n" + "\n".join(shown) + "\n]\n")
    assert entries[2]["id"] == "tests.test_api::test_param[a-b?]"
    assert gate(failing_run(tmp_path), entries).totals.quarantined == len(NAMES)
