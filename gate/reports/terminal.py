"""The terminal summary: plain text in CI logs, a rich table on a TTY (`rich_terminal`).

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

from gate.model import BaselineReport, GateResult, Outcome, StressSummary
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
        # rich (about a tenth of the start-up on a small machine) loads only for a terminal
        from gate.reports.rich_terminal import rich_summary

        rich_summary(result, out, red)
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


def line_text(value: Any, limit: int, red: Redactor) -> str:
    return no_log_commands(safe_text(value, limit, red))


def name_text(value: Any, limit: int, red: Redactor) -> str:
    return no_log_commands(safe_id(value, limit, red))


def headline(result: GateResult, red: Redactor) -> str:
    tail = facts.headline_tail(result)
    word = facts.verdict_word(result).upper()
    line = f"deploy-gate: {word} ({result.outcome})"
    return line + (f" - {line_text(tail, LINE_CHARS, red)}" if tail else "")


def meta(result: GateResult, red: Redactor) -> str:
    parts = [f"{facts.plural(result.totals.tests, 'test')} in {facts.duration(result.duration_s)}"]
    if result.target:
        parts.insert(0, f"target {line_text(result.target, NAME_CHARS, red)}")
    cold = facts.cold_start(result)
    if cold:
        parts.append(cold)
    return " | ".join(parts)


# --- plain text ---------------------------------------------------------------------------


def plain_summary(result: GateResult, *, red: Redactor | None = None, actions: bool = False) -> str:
    """The plain-text summary (no ANSI codes), as printed in CI logs."""
    red = red or Redactor()
    lines = [headline(result, red), f"  {meta(result, red)}"]
    lines.extend(f"  reason: {line_text(r, LINE_CHARS * 2, red)}" for r in result.reasons[:20])
    if actions:
        lines.append("::group::deploy-gate: suites and tests")
    lines.extend(_plain_suites(result, red))
    sections = facts.Sections(result)
    for kind in facts.KINDS:
        lines.extend(_plain_problems(sections, kind, red))
        if kind == "failing":
            lines.extend(quarantine_lines(sections, TOP_FAILING_PLAIN, red))
    if result.baseline is not None:
        lines.extend(baseline_lines(result.baseline, red))
    if result.stress is not None:
        lines.extend(_plain_stress(result.stress, red))
    if actions:
        lines.append("::endgroup::")
    return "\n".join(lines) + "\n"


COLUMNS = ("tests", "passed", "failed", "errors", "skipped", "flaky", "quarantined")


def _plain_suites(result: GateResult, red: Redactor) -> list[str]:
    if not result.suites:
        return []
    names = [name_text(s.name, 30, red) for s in result.suites[:50]]
    width = max(5, *(len(n) for n in names))
    header = "suite".ljust(width) + "".join(f" {c:>7.7}" for c in COLUMNS)
    lines = ["suites:", f"  {header} {'duration':>9} outcome"]
    for name, suite in zip(names, result.suites, strict=False):
        counts = "".join(f" {getattr(suite.totals, c):>7,}" for c in COLUMNS)
        outcome = f"{suite.outcome}" + ("" if suite.blocking else " (advisory)")
        lines.append(
            f"  {name.ljust(width)}{counts} {facts.duration(suite.duration_s):>9} {outcome}"
        )
    if len(result.suites) > 50:
        lines.append(f"  ... {len(result.suites) - 50:,} more suites (see result.json)")
    return lines


def _plain_problems(sections: facts.Sections, kind: str, red: Redactor) -> list[str]:
    total = sections.count(kind)
    if not total:
        return []
    top = TOP_FAILING_PLAIN if kind == "failing" else TOP_OTHER
    shown = sections.entries(kind, top)
    title = (
        f"{kind} tests ({total:,})"
        if len(shown) == total
        else (f"{kind} tests (showing {len(shown):,} of {total:,}; all in result.json)")
    )
    lines = [f"{title}:"]
    for entry in shown:
        p = entry.problem
        where = f"{name_text(entry.suite.name, 30, red)} > {name_text(p.id, NAME_CHARS, red)}"
        message = line_text(p.message, LINE_CHARS, red)
        lines.append(
            f"  {PLAIN_MARK.get(p.outcome, '-')} {where}" + (f": {message}" if message else "")
        )
    return lines


def quarantine_lines(sections: facts.Sections, top: int, red: Redactor) -> list[str]:
    """The failing tests as `[policy] quarantine` entries, ready to paste into gate.toml."""
    found = sections.entries("failing", top)
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
        f"  note: {line_text(text, LINE_CHARS * 2, red)}" for _, text in stress_rows.notes(stress)
    )
    rows, _ = stress_rows.latency_rows(stress)
    if rows:
        heads = "".join(f" {h:>8}" for h in ("count", *stress_rows.PERCENTILES))
        lines.append(f"  {'metric (ms)':<{LABEL_CHARS}}{heads}")
        for label, cells in grouped_rows(rows, red):
            numbers = "".join(f" {v:>8}" for v in cells)
            if len(label) > LABEL_CHARS:  # wrapped, never cut: the numbers on the next line
                lines.append(f"  {label}")
                lines.extend([f"  {'':<{LABEL_CHARS}}{numbers}"] if cells else [])
            else:
                lines.append(f"  {label:<{LABEL_CHARS}}{numbers}".rstrip())
    for name, rate, n in stress_rows.rate_rows(stress)[0]:
        lines.append(f"  {name_text(name, METRIC_CHARS, red):<32} {rate_text(name, rate, n)}")
    for t in stress_rows.thresholds(stress)[0]:
        verdict = {True: "ok", False: "FAILED", None: "INCONCLUSIVE"}[t.ok]
        if t.measured == "no baseline":
            verdict = "SKIPPED"
        lines.append(
            f"  threshold {name_text(t.metric, METRIC_CHARS, red)} "
            f"{line_text(t.expression, 80, red)}: measured {t.measured} -> {verdict}"
        )
    return lines


def baseline_lines(report: BaselineReport, red: Redactor) -> list[str]:
    """The comparison with the baseline: source, per endpoint base -> now, test deltas."""
    lines = [f"baseline: {line_text(baseline_rows.source_line(report), LINE_CHARS * 2, red)}"]
    lines.extend(f"  not compared: {line_text(w, LINE_CHARS * 2, red)}" for w in report.why_not)
    rows, more = baseline_rows.endpoint_rows(report)
    if rows:
        heads = ("p50 ms", "p95 ms", "p99 ms", "errors")
        lines.append(f"  {'endpoint':<28}" + "".join(f" {h:>17}" for h in heads) + "  verdict")
        for row in rows:
            cells = "".join(f" {v:>17}" for v in row[1:5])
            lines.append(f"  {name_text(row[0], 28, red):<28}{cells}  {row[5]}")
        if more:
            lines.append(f"  ... {more:,} more endpoints (see result.json)")
    lines.append(f"  {baseline_rows.counts_line(report)}")
    for title, ids, more in baseline_rows.test_groups(report):
        names = ", ".join(name_text(i, NAME_CHARS, red) for i in ids)
        lines.append(f"  {title.lower()}: {names}" + (f" (+{more:,} more)" if more else ""))
    return lines


def grouped_rows(rows: list[list[str]], red: Redactor) -> list[tuple[str, list[str]]]:
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
        out.append((name_text(metric, METRIC_CHARS, red), own))
        out += [
            (f"  {name_text(endpoint, METRIC_CHARS, red)}", cells)
            for endpoint, cells in members
            if endpoint is not None
        ]
    return out


def rate_text(name: str, rate: str, count: str) -> str:
    """ "rate 1.25 % of 6,000" for a failure rate, "199.6/s, 6,000 total" for throughput."""
    return (
        f"{rate}, {count} total" if stress_rows.is_throughput(name) else f"rate {rate} of {count}"
    )
