"""The terminal summary on a TTY: rich tables and colours (plain text is `terminal`).

A module of its own so that rich is imported only when a person is watching: CI logs get the
plain summary, and every `gate` command starts faster without it.
"""

from __future__ import annotations

from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gate.model import GateResult, StressSummary, Verdict
from gate.redact import Redactor
from gate.reports import facts
from gate.reports import stress as stress_rows
from gate.reports.terminal import (
    COLUMNS,
    LINE_CHARS,
    METRIC_CHARS,
    NAME_CHARS,
    STYLE,
    TOP_FAILING_TTY,
    TOP_OTHER,
    baseline_lines,
    grouped_rows,
    headline,
    line_text,
    meta,
    name_text,
    quarantine_lines,
    rate_text,
)


def rich_summary(result: GateResult, out: TextIO, red: Redactor) -> None:
    console = Console(file=out, force_terminal=True, highlight=False, emoji=False)
    style = "bold red" if result.verdict == Verdict.BLOCK else f"bold {STYLE[result.outcome]}"
    console.print(Text(f"{facts.verdict_icon(result)} {headline(result, red)}", style=style))
    console.print(Text(meta(result, red), style="dim"))
    for reason in result.reasons[:20]:
        console.print(Text(f"  • {line_text(reason, LINE_CHARS * 2, red)}"))
    if result.suites:
        console.print(_rich_suites(result, red))
    sections = facts.Sections(result)
    for kind in facts.KINDS:
        total = sections.count(kind)
        if not total:
            continue
        top = TOP_FAILING_TTY if kind == "failing" else TOP_OTHER
        more = f", showing {top}" if total > top else ""
        console.print(Text(f"{kind} tests ({total:,}{more})", style="bold"))
        for entry in sections.entries(kind, top):
            p = entry.problem
            line = Text(f"  {facts.PROBLEM_ICON.get(p.outcome, '•')} ")
            line.append(name_text(entry.suite.name, 30, red), style="bold")
            line.append(f" › {name_text(p.id, NAME_CHARS, red)}")
            message = line_text(p.message, LINE_CHARS, red)
            if message:
                line.append(f" — {message}", style="dim")
            console.print(line, overflow="ellipsis", no_wrap=True)
        if kind == "failing":
            for text in quarantine_lines(sections, TOP_FAILING_TTY, red):
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
        counts = [f"{getattr(suite.totals, c):,}" for c in COLUMNS]
        outcome = Text(
            f"{facts.OUTCOME_ICON[suite.outcome]} {suite.outcome}", style=STYLE[suite.outcome]
        )
        if not suite.blocking:
            outcome.append(" (advisory)", style="dim")
        table.add_row(
            Text(name_text(suite.name, 30, red)), *counts, facts.duration(suite.duration_s), outcome
        )
    return table


def _rich_stress(console: Console, stress: StressSummary, red: Redactor) -> None:
    console.print(Text(f"stress: {stress_rows.overview(stress)}", style="bold"))
    for icon, text in stress_rows.notes(stress):
        console.print(Text(f"  {icon} {line_text(text, LINE_CHARS * 2, red)}", style="yellow"))
    rows, _ = stress_rows.latency_rows(stress)
    if rows:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        table.add_column("metric (ms)", overflow="fold", max_width=48)  # wraps, never cuts
        for head in ("count", *stress_rows.PERCENTILES):
            table.add_column(head, justify="right", no_wrap=True)
        for label, cells in grouped_rows(rows, red):
            table.add_row(Text(label), *(cells or [""] * (len(stress_rows.PERCENTILES) + 1)))
        console.print(table)
    for name, rate, n in stress_rows.rate_rows(stress)[0]:
        console.print(Text(f"  {name_text(name, METRIC_CHARS, red)}: {rate_text(name, rate, n)}"))
    for t in stress_rows.thresholds(stress)[0]:
        metric = name_text(t.metric, METRIC_CHARS, red)
        line = Text(f"  {stress_rows.threshold_icon(t.ok)} {metric} ")
        line.append(line_text(t.expression, 80, red))
        line.append(f": {t.measured}", style={True: "green", False: "red", None: "yellow"}[t.ok])
        console.print(line)
