"""The terminal summary (plain for CI logs, rich on a TTY) and GitHub Actions workflow commands."""

from __future__ import annotations

import io
import re

import pytest

from gate.model import GateResult, Outcome, Problem, SuiteResult, Totals, Verdict
from gate.reports import print_summary, workflow_commands
from gate.reports.workflow import escape_data, escape_property

GHP = "ghp_" + "K3y5" * 10


@pytest.fixture(autouse=True)
def colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich reads TERM/NO_COLOR from the environment: make the TTY tests independent of it."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)


def result_with(problems: list[Problem], *, blocking: bool = True) -> GateResult:
    failing = sum(p.outcome in ("failed", "error") for p in problems)
    outcome = Outcome.FAILED if failing else Outcome.PASSED
    totals = Totals(tests=len(problems) + 5, passed=5, failed=failing)
    suite = SuiteResult("smoke", outcome, totals, 2.0, problems, ["1 failed"], blocking)
    verdict = Verdict.BLOCK if failing and blocking else Verdict.PASS
    return GateResult(
        verdict, outcome, ["smoke: tests failed"], "https://x.example", totals, [suite]
    )


HOSTILE = Problem(
    "test_\x1b[2J\x1b]0;pwned\x07name|::set-output name=x::y",
    "failed",
    f"boom\n::add-mask::oops\n##[error]fake\r\nAuthorization: Bearer {GHP}\x1b[31m red",
    file="tests/test_a.py",
    line=12,
)


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_output_has_no_ansi_and_no_control_characters() -> None:
    out = io.StringIO()
    print_summary(result_with([HOSTILE]), out, env={})
    text = out.getvalue()
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\r" not in text
    assert text.startswith("deploy-gate: BLOCK (failed) - 1 test failed in smoke\n")
    assert "FAIL smoke > test_[2J]0;pwnedname|" in text
    assert GHP not in text
    assert "Authorization: Bearer ***" in text


def test_plain_output_cannot_issue_workflow_commands() -> None:
    out = io.StringIO()
    result = result_with([HOSTILE, Problem("::warning::x", "skipped", "::error::y")])
    result.suites[0].name = "  ::warning file=a::suite"
    result.reasons.append("::notice::reason ##[group]x")
    print_summary(result, out, env={"GITHUB_ACTIONS": "true"})
    ours = {"::group::deploy-gate: suites and tests", "::endgroup::", *workflow_commands(result)}
    for line in out.getvalue().splitlines():
        if line.lstrip().startswith("::"):
            assert line in ours
        assert "##[" not in line


def test_group_and_annotations_only_under_github_actions() -> None:
    plain = io.StringIO()
    print_summary(result_with([HOSTILE]), plain, env={})
    assert "::group::" not in plain.getvalue()
    assert "::error" not in plain.getvalue()
    actions = io.StringIO()
    print_summary(result_with([HOSTILE]), actions, env={"GITHUB_ACTIONS": "true"})
    lines = actions.getvalue().splitlines()
    group, end = lines.index("::group::deploy-gate: suites and tests"), lines.index("::endgroup::")
    assert lines[0].startswith("deploy-gate: BLOCK")  # the verdict is outside the fold
    assert group < end
    assert any(line.startswith("FAIL", 2) for line in lines[group:end])
    assert [line for line in lines[end + 1 :] if line.startswith("::error")]


def test_tty_output_is_rich_and_detected_from_the_stream() -> None:
    out = FakeTTY()
    print_summary(result_with([HOSTILE]), out, env={})
    text = out.getvalue()
    assert "\x1b[" in text  # colours
    assert "deploy-gate: BLOCK" in text
    assert "smoke" in text
    assert "\x1b[2J" not in text  # the test name's own escape sequences are gone
    assert "\x1b]0;" not in text
    assert GHP not in text


def test_tty_never_under_github_actions_unless_forced() -> None:
    out = FakeTTY()
    print_summary(result_with([]), out, env={"GITHUB_ACTIONS": "true"})
    assert "\x1b" not in out.getvalue()
    forced = io.StringIO()
    print_summary(result_with([]), forced, tty=True, env={})
    assert "\x1b[" in forced.getvalue()


def test_rich_markup_in_names_is_printed_literally() -> None:
    out = FakeTTY()
    print_summary(
        result_with([Problem("[bold red]x[/] [link=http://e]y", "failed", "[/]")]), out, env={}
    )
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    assert "[bold red]x[/] [link=http://e]y" in plain


def test_long_lists_are_cut_with_a_count() -> None:
    problems = [Problem(f"t{i}", "failed", "x") for i in range(100)]
    out = io.StringIO()
    print_summary(result_with(problems), out, env={})
    text = out.getvalue()
    assert "failing tests (showing 20 of 100; all in result.json):" in text
    assert text.count("  FAIL smoke > ") == 20


# --- workflow commands ------------------------------------------------------------------------


def test_escaping_follows_the_runner() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotations_carry_file_line_and_escaped_title() -> None:
    commands = workflow_commands(result_with([HOSTILE]))
    assert commands[0].startswith("::error title=deploy-gate%3A block — 1 test failed in smoke::")
    test_error = commands[1]
    head, _, data = test_error.partition("::")[2].partition("::")
    assert head.startswith("error title=smoke › test_")
    assert "file=tests/test_a.py,line=12" in head
    assert "set-output name=x" in head
    assert "::" not in head  # the name's "::" is escaped as %3A%3A
    assert "\n" not in test_error
    assert "\r" not in test_error
    assert data.startswith("boom%0A")
    assert "##[" not in data
    assert GHP not in test_error


def test_at_most_ten_errors_and_ten_warnings_and_a_notice_for_the_rest() -> None:
    problems = [Problem(f"t{i}", "failed", f"m{i}", tier="p2") for i in range(30)]
    problems += [Problem(f"f{i}", "flaky", "rerun") for i in range(15)]
    problems.append(Problem("urgent", "failed", "first", tier="p1"))
    commands = workflow_commands(result_with(problems))
    errors = [c for c in commands if c.startswith("::error")]
    warnings = [c for c in commands if c.startswith("::warning")]
    notices = [c for c in commands if c.startswith("::notice")]
    assert len(errors) == 10
    assert len(warnings) == 10
    assert "urgent" in errors[1]  # p1 first, after the verdict line
    assert len(notices) == 1
    assert "22 failing tests and 5 flaky or quarantined tests not annotated" in notices[0]


def test_warned_pass_annotates_a_warning_not_an_error() -> None:
    res = result_with([Problem("f", "flaky", "passed on rerun")])
    res.outcome = Outcome.WARNED
    commands = workflow_commands(res)
    assert not [c for c in commands if c.startswith("::error")]
    assert commands[0].startswith("::warning title=deploy-gate%3A pass with warnings::")
    assert commands[1].startswith("::warning title=smoke › f (flaky)::passed on rerun")


@pytest.mark.parametrize("line", [0, -3, None])
def test_line_is_left_out_unless_positive(line: int | None) -> None:
    res = result_with([Problem("t", "failed", "x", file="a.py", line=line)])
    assert ",line=" not in workflow_commands(res)[1]
    assert "file=a.py" in workflow_commands(res)[1]
