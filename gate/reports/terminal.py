"""The terminal summary: a rich table on a TTY, plain text in CI logs.

Plain text carries no ANSI codes and every untrusted string is printed after fixed text on its
line (never at a line start), cleaned of control characters (no escape-sequence injection) and
with `##[` disarmed, so a test name cannot issue GitHub Actions log commands. Under GitHub
Actions the details are folded in `::group::` and the annotations from `workflow_commands`
follow.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gate.model import BaselineReport, GateResult, Outcome, StressSummary, Verdict
from gate.redact import Redactor
from gate.reports import baseline as baseline_rows
from gate.reports import facts
from gate.reports import stress as stress_rows
from gate.reports.escape import no_log_commands, safe_id, safe_text
from gate.reports.workflow import workflow_commands

TOP_FAILING_TTY = 10
TOP_FAILING_PLAIN = 20
TOP_OTHER = 5
LINE_CHARS = 160
NAME_CHARS = 100
LABEL_CHARS = 32  # the metric column of the plain latency table; longer labels wrap
METRIC_CHARS = 200  # a metric or endpoint name: a bound against hostile input, not a layout cut

PLAIN_MARK = {
    "failed": "FAIL",
    "error": "ERROR",
    "flaky": "FLAKY",
    "quarantined": "QUAR",
    "skipped": "SKIP",
}
STYLE = {
    Outcome.PASSED: "green",
    Outcome.WARNED: "yellow",
    Outcome.INCONCLUSIVE: "magenta",
    Outcome.FAILED: "red",
    Outcome.ERROR: "bold red",
}


def print_summary(
    result: GateResult,
    stream: TextIO | None = None,
    *,
    tty: bool | None = None,
    secrets: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
) -> None:
    """Print the summary to `stream` (stdout): rich on a TTY, plain text otherwise.

    `tty` overrides the detection; `env` (default `os.environ`) is read for `GITHUB_ACTIONS`.
    """
    out = stream if stream is not None else sys.stdout
    environ = os.environ if env is None else env
    actions = environ.get("GITHUB_ACTIONS") == "true"
    if tty is None:
        tty = _isatty(out) and not actions
    red = Redactor(secrets)
    if tty:
        _rich_summary(result, out, red)
    else:
        out.write(plain_summary(result, red=red, actions=actions))
        if actions:
            out.write("".join(line + "\n" for line in workflow_commands(result, secrets=secrets)))
    out.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _text(value: Any, limit: int, red: Redactor) -> str:
    return no_log_commands(safe_text(value, limit, red))


def _name(value: Any, limit: int, red: Redactor) -> str:
    return no_log_commands(safe_id(value, limit, red))


def _headline(result: GateResult, red: Redactor) -> str:
    tail = facts.headline_tail(result)
    word = facts.verdict_word(result).upper()
    line = f"deploy-gate: {word} ({result.outcome})"
    return line + (f" - {_text(tail, LINE_CHARS, red)}" if tail else "")


def _meta(result: GateResult, red: Redactor) -> str:
    parts = [f"{facts.plural(result.totals.tests, 'test')} in {facts.duration(result.duration_s)}"]
    if result.target:
        parts.insert(0, f"target {_text(result.target, NAME_CHARS, red)}")
    cold = facts.cold_start(result)
    if cold:
        parts.append(cold)
    return " | ".join(parts)


# --- plain text ---------------------------------------------------------------------------


def plain_summary(result: GateResult, *, red: Redactor | None = None, actions: bool = False) -> str:
    """The plain-text summary (no ANSI codes), as printed in CI logs."""
    red = red or Redactor()
    lines = [_headline(result, red), f"  {_meta(result, red)}"]
    lines.extend(f"  reason: {_text(r, LINE_CHARS * 2, red)}" for r in result.reasons[:20])
    if actions:
        lines.append("::group::deploy-gate: suites and tests")
    lines.extend(_plain_suites(result, red))
    for kind in facts.KINDS:
        lines.extend(_plain_problems(result, kind, red))
        if kind == "failing":
            lines.extend(_quarantine_lines(result, TOP_FAILING_PLAIN, red))
    if result.baseline is not None:
        lines.extend(baseline_lines(result.baseline, red))
    if result.stress is not None:
        lines.extend(_plain_stress(result.stress, red))
    if actions:
        lines.append("::endgroup::")
    return "\n".join(lines) + "\n"


_COLUMNS = ("tests", "passed", "failed", "errors", "skipped", "flaky", "quarantined")


def _plain_suites(result: GateResult, red: Redactor) -> list[str]:
    if not result.suites:
        return []
    names = [_name(s.name, 30, red) for s in result.suites[:50]]
    width = max(5, *(len(n) for n in names))
    header = "suite".ljust(width) + "".join(f" {c:>7.7}" for c in _COLUMNS)
    lines = ["suites:", f"  {header} {'duration':>9} outcome"]
    for name, suite in zip(names, result.suites, strict=False):
        counts = "".join(f" {getattr(suite.totals, c):>7,}" for c in _COLUMNS)
        outcome = f"{suite.outcome}" + ("" if suite.blocking else " (advisory)")
        lines.append(
            f"  {name.ljust(width)}{counts} {facts.duration(suite.duration_s):>9} {outcome}"
        )
    if len(result.suites) > 50:
        lines.append(f"  ... {len(result.suites) - 50:,} more suites (see result.json)")
    return lines


def _plain_problems(result: GateResult, kind: str, red: Redactor) -> list[str]:
    total = facts.count(result, kind)
    if not total:
        return []
    top = TOP_FAILING_PLAIN if kind == "failing" else TOP_OTHER
    shown = facts.entries(result, kind, top)
    title = (
        f"{kind} tests ({total:,})"
        if len(shown) == total
        else (f"{kind} tests (showing {len(shown):,} of {total:,}; all in result.json)")
    )
    lines = [f"{title}:"]
    for entry in shown:
        p = entry.problem
        where = f"{_name(entry.suite.name, 30, red)} > {_name(p.id, NAME_CHARS, red)}"
        message = _text(p.message, LINE_CHARS, red)
        lines.append(
            f"  {PLAIN_MARK.get(p.outcome, '-')} {where}" + (f": {message}" if message else "")
        )
    return lines


def _quarantine_lines(result: GateResult, top: int, red: Redactor) -> list[str]:
    """The failing tests as `[policy] quarantine` entries, ready to paste into gate.toml."""
    found = facts.entries(result, "failing", top)
    if not found:
        return []
    lines = ["to quarantine (known-bad, reported but not blocking), add to gate.toml:"]
    lines.append("  [policy]")
    lines.append("  quarantine = [")
    for entry in found:
        text = red(facts.quarantine_entry(entry))
        lines.append(f"    {no_log_commands(text)}")
    lines.append("  ]")
    return lines


def _plain_stress(stress: StressSummary, red: Redactor) -> list[str]:
    lines = [f"stress: {stress_rows.overview(stress)}"]
    lines.extend(
        f"  note: {_text(text, LINE_CHARS * 2, red)}" for _, text in stress_rows.notes(stress)
    )
    rows, _ = stress_rows.latency_rows(stress)
    if rows:
        heads = "".join(f" {h:>8}" for h in ("count", *stress_rows.PERCENTILES))
        lines.append(f"  {'metric (ms)':<{LABEL_CHARS}}{heads}")
        for label, cells in _grouped(rows, red):
            numbers = "".join(f" {v:>8}" for v in cells)
            if len(label) > LABEL_CHARS:  # wrapped, never cut: the numbers on the next line
                lines.append(f"  {label}")
                lines.extend([f"  {'':<{LABEL_CHARS}}{numbers}"] if cells else [])
            else:
                lines.append(f"  {label:<{LABEL_CHARS}}{numbers}".rstrip())
    for name, rate, n in stress_rows.rate_rows(stress)[0]:
        lines.append(f"  {_name(name, METRIC_CHARS, red):<32} {_rate_text(name, rate, n)}")
    for t in stress_rows.thresholds(stress)[0]:
        verdict = {True: "ok", False: "FAILED", None: "INCONCLUSIVE"}[t.ok]
        if t.measured == "no baseline":
            verdict = "SKIPPED"
        lines.append(
            f"  threshold {_name(t.metric, METRIC_CHARS, red)} {_text(t.expression, 80, red)}: "
            f"measured {t.measured} -> {verdict}"
        )
    return lines


def baseline_lines(report: BaselineReport, red: Redactor) -> list[str]:
    """The comparison with the baseline: source, per endpoint base -> now, test deltas."""
    lines = [f"baseline: {_text(baseline_rows.source_line(report), LINE_CHARS * 2, red)}"]
    lines.extend(f"  not compared: {_text(w, LINE_CHARS * 2, red)}" for w in report.why_not)
    rows, more = baseline_rows.endpoint_rows(report)
    if rows:
        heads = ("p50 ms", "p95 ms", "p99 ms", "errors")
        lines.append(f"  {'endpoint':<28}" + "".join(f" {h:>17}" for h in heads) + "  verdict")
        for row in rows:
            cells = "".join(f" {v:>17}" for v in row[1:5])
            lines.append(f"  {_name(row[0], 28, red):<28}{cells}  {row[5]}")
        if more:
            lines.append(f"  ... {more:,} more endpoints (see result.json)")
    lines.append(f"  {baseline_rows.counts_line(report)}")
    for title, ids, more in baseline_rows.test_groups(report):
        names = ", ".join(_name(i, NAME_CHARS, red) for i in ids)
        lines.append(f"  {title.lower()}: {names}" + (f" (+{more:,} more)" if more else ""))
    return lines


def _grouped(rows: list[list[str]], red: Redactor) -> list[tuple[str, list[str]]]:
    """Latency rows grouped by metric: the metric's own row, then one indented row per endpoint
    (`  GET /versions.json`), so a tagged name is never cut to fit a column. A metric measured
    only per endpoint gets a heading row without numbers."""
    groups: dict[str, list[tuple[str | None, list[str]]]] = {}
    for row in rows:
        metric, endpoint = stress_rows.split_metric(row[0])
        groups.setdefault(metric, []).append((endpoint, row[1:]))
    out: list[tuple[str, list[str]]] = []
    for metric, members in groups.items():
        own = next((cells for endpoint, cells in members if endpoint is None), [])
        out.append((_name(metric, METRIC_CHARS, red), own))
        out += [
            (f"  {_name(endpoint, METRIC_CHARS, red)}", cells)
            for endpoint, cells in members
            if endpoint is not None
        ]
    return out


def _rate_text(name: str, rate: str, count: str) -> str:
    """ "rate 1.25 % of 6,000" for a failure rate, "199.6/s, 6,000 total" for throughput."""
    return (
        f"{rate}, {count} total" if stress_rows.is_throughput(name) else f"rate {rate} of {count}"
    )


# --- rich (TTY) ---------------------------------------------------------------------------


def _rich_summary(result: GateResult, out: TextIO, red: Redactor) -> None:
    console = Console(file=out, force_terminal=True, highlight=False, emoji=False)
    style = "bold red" if result.verdict == Verdict.BLOCK else f"bold {STYLE[result.outcome]}"
    console.print(Text(f"{facts.verdict_icon(result)} {_headline(result, red)}", style=style))
    console.print(Text(_meta(result, red), style="dim"))
    for reason in result.reasons[:20]:
        console.print(Text(f"  • {_text(reason, LINE_CHARS * 2, red)}"))
    if result.suites:
        console.print(_rich_suites(result, red))
    for kind in facts.KINDS:
        total = facts.count(result, kind)
        if not total:
            continue
        top = TOP_FAILING_TTY if kind == "failing" else TOP_OTHER
        more = f", showing {top}" if total > top else ""
        console.print(Text(f"{kind} tests ({total:,}{more})", style="bold"))
        for entry in facts.entries(result, kind, top):
            p = entry.problem
            line = Text(f"  {facts.PROBLEM_ICON.get(p.outcome, '•')} ")
            line.append(_name(entry.suite.name, 30, red), style="bold")
            line.append(f" › {_name(p.id, NAME_CHARS, red)}")
            message = _text(p.message, LINE_CHARS, red)
            if message:
                line.append(f" — {message}", style="dim")
            console.print(line, overflow="ellipsis", no_wrap=True)
        if kind == "failing":
            for text in _quarantine_lines(result, TOP_FAILING_TTY, red):
                console.print(Text(text, style="dim"), overflow="fold")
    if result.baseline is not None:
        head, *rest = baseline_lines(result.baseline, red)
        console.print(Text(head, style="bold"))
        for row in rest:
            style = "red" if "regressed" in row or row.startswith("  new failures") else ""
            console.print(Text(row, style=style), overflow="ellipsis", no_wrap=True)
    if result.stress is not None:
        _rich_stress(console, result.stress, red)


def _rich_suites(result: GateResult, red: Redactor) -> Table:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    table.add_column("suite")
    for column in ("tests", "pass", "fail", "err", "skip", "flaky", "quar", "time"):
        table.add_column(column, justify="right")
    table.add_column("outcome")
    for suite in result.suites[:50]:
        counts = [f"{getattr(suite.totals, c):,}" for c in _COLUMNS]
        outcome = Text(
            f"{facts.OUTCOME_ICON[suite.outcome]} {suite.outcome}", style=STYLE[suite.outcome]
        )
        if not suite.blocking:
            outcome.append(" (advisory)", style="dim")
        table.add_row(
            Text(_name(suite.name, 30, red)), *counts, facts.duration(suite.duration_s), outcome
        )
    return table


def _rich_stress(console: Console, stress: StressSummary, red: Redactor) -> None:
    console.print(Text(f"stress: {stress_rows.overview(stress)}", style="bold"))
    for icon, text in stress_rows.notes(stress):
        console.print(Text(f"  {icon} {_text(text, LINE_CHARS * 2, red)}", style="yellow"))
    rows, _ = stress_rows.latency_rows(stress)
    if rows:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        table.add_column("metric (ms)", overflow="fold", max_width=48)  # wraps, never cuts
        for head in ("count", *stress_rows.PERCENTILES):
            table.add_column(head, justify="right", no_wrap=True)
        for label, cells in _grouped(rows, red):
            table.add_row(Text(label), *(cells or [""] * (len(stress_rows.PERCENTILES) + 1)))
        console.print(table)
    for name, rate, n in stress_rows.rate_rows(stress)[0]:
        console.print(Text(f"  {_name(name, METRIC_CHARS, red)}: {_rate_text(name, rate, n)}"))
    for t in stress_rows.thresholds(stress)[0]:
        line = Text(f"  {stress_rows.threshold_icon(t.ok)} {_name(t.metric, METRIC_CHARS, red)} ")
        line.append(_text(t.expression, 80, red))
        line.append(f": {t.measured}", style={True: "green", False: "red", None: "yellow"}[t.ok])
        console.print(line)
