"""GitHub Actions workflow commands: annotations for failing tests and warnings.

GitHub shows at most 10 error and 10 warning annotations per step, so the most important ten of
each are chosen (blocking suites first, then p1 first) and a notice says how many were left out.
Data and properties are escaped the way the runner unescapes them (`%`, CR, LF; plus `:` and
`,` in properties), so a hostile message cannot end the command early or start a new one.
"""

from __future__ import annotations

from collections.abc import Iterable

from gate.model import GateResult, Outcome, Verdict
from gate.redact import Redactor
from gate.reports import facts
from gate.reports.escape import bound_block, safe_id, safe_text
from gate.workflow_io import command
from gate.workflow_io import escape_data as escape_data  # moved; re-exported
from gate.workflow_io import escape_property as escape_property  # moved; re-exported

MAX_PER_KIND = 10
MESSAGE_CHARS = 1_000
TITLE_CHARS = 200


def _safe_line(value: int | None) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def workflow_commands(result: GateResult, *, secrets: Iterable[str] = ()) -> list[str]:
    """`::error`/`::warning`/`::notice` lines for the verdict, failing tests and warnings."""
    red = Redactor(secrets)
    errors: list[str] = []
    warnings: list[str] = []
    reasons = "\n".join(safe_text(r, 300, red) for r in result.reasons[:10])
    if result.verdict == Verdict.BLOCK:
        title = f"deploy-gate: block — {safe_text(facts.headline_tail(result), 150, red)}"
        errors.append(command("error", reasons or str(result.outcome), title=title))
    elif result.outcome == Outcome.WARNED:
        title = "deploy-gate: pass with warnings"
        warnings.append(command("warning", reasons or "see the summary", title=title))

    sections = facts.Sections(result)
    room = max(0, MAX_PER_KIND - len(errors))
    for entry in sections.entries("failing", room):
        errors.append(_problem_command("error", entry, red))
    room = max(0, MAX_PER_KIND - len(warnings))
    warned = sections.entries("flaky", room)
    warned += sections.entries("quarantined", room - len(warned))
    for entry in warned:
        warnings.append(_problem_command("warning", entry, red))

    notices = []
    failing = sections.count("failing")
    warned_total = sections.count("flaky") + sections.count("quarantined")
    hidden_errors = failing - (MAX_PER_KIND - (1 if result.verdict == Verdict.BLOCK else 0))
    hidden_warnings = warned_total - (MAX_PER_KIND - (1 if result.outcome == Outcome.WARNED else 0))
    if hidden_errors > 0 or hidden_warnings > 0:
        left = []
        if hidden_errors > 0:
            left.append(facts.plural(hidden_errors, "failing test"))
        if hidden_warnings > 0:
            left.append(facts.plural(hidden_warnings, "flaky or quarantined test"))
        notices.append(
            command(
                "notice",
                f"{' and '.join(left)} not annotated (GitHub shows 10 per kind); "
                "see the job summary or result.json for all of them.",
                title="deploy-gate",
            )
        )
    return errors + warnings + notices


def _problem_command(level: str, entry: facts.Entry, red: Redactor) -> str:
    p = entry.problem
    title = (
        f"{safe_id(entry.suite.name, 40, red)} › {safe_id(p.id, TITLE_CHARS, red)} ({p.outcome})"
    )
    message = bound_block(p.message, MESSAGE_CHARS, red) or str(p.outcome)
    file = safe_text(p.file, 300, red) if p.file else None
    return command(
        level, message, title=title, file=file, line=_safe_line(p.line) if file else None
    )
