"""`summary.md`: the GitHub-flavoured report (job summary, sticky PR comment, check run).

Layout, most important first: one verdict line, the reasons, a totals table per suite, the stress
figures (when a stress suite ran), the failing tests folded in `<details>`, then flaky,
quarantined and skipped tests, and an explicit truncation line when the budget ran out.

The size bound is enforced by rendering whole blocks (a `<details>` item, a table, a list item)
and stopping before the one that would not fit, so a cut never lands inside a fence, a table
row or an HTML element. The fixed head is itself bounded, so the whole document always fits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gate.model import BaselineReport, GateResult, Problem, StressSummary, SuiteResult, Totals
from gate.redact import Redactor
from gate.reports import baseline as baseline_rows
from gate.reports import chart, facts
from gate.reports import stress as stress_rows
from gate.reports.escape import (
    bound_block,
    fenced,
    html_text,
    md_code,
    md_inline,
    safe_id,
    safe_text,
)

DEFAULT_LIMIT = 60_000
MIN_LIMIT = 2_000
ID_CHARS = 200  # a test id or suite name, shortened in the middle
LINE_CHARS = 300  # a one-line message in a summary or list item
REASON_CHARS = 500
MAX_REASONS = 20
MAX_SUITE_ROWS = 50
MESSAGE_CHARS = 2_000  # the failure message inside the fold
DETAIL_CHARS = 4_000  # the trace / output inside the fold
# Room kept for the truncation line and the footer, whatever else was rendered.
RESERVE = 700
URL_CHARS = 500

SECTION_TITLE = {
    "failing": "❌ Failing tests ({n})",
    "flaky": "🔁 Flaky tests ({n}): failed, then passed on a rerun",
    "quarantined": "🧊 Quarantined tests ({n}): reported, not blocking",
    "skipped": "⏭️ Skipped tests ({n})",
}


@dataclass
class _Doc:
    """Blocks of Markdown joined by blank lines, with a running size."""

    blocks: list[str] = field(default_factory=list)
    size: int = 0

    def cost(self, block: str) -> int:
        return len(block) + (2 if self.blocks else 0)

    def add(self, block: str) -> None:
        self.size += self.cost(block)
        self.blocks.append(block)

    def text(self) -> str:
        return "\n\n".join(self.blocks) + "\n"


def render_markdown(
    result: GateResult,
    *,
    limit: int = DEFAULT_LIMIT,
    run_url: str | None = None,
    secrets: Iterable[str] = (),
) -> str:
    """The Markdown summary of `result`, escaped, redacted and at most `limit` characters."""
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT} characters, got {limit}")
    red = Redactor(secrets)
    url = _url(run_url, red)
    doc = _Doc()
    budget = limit - RESERVE - 2 * len(url or "")
    skipped_blocks = 0
    for block in _head(result, red, url):
        if doc.size + doc.cost(block) <= budget:
            doc.add(block)
        else:
            skipped_blocks += 1
    shown, omitted = _sections(result, red, doc, budget)
    note = _truncation_line(shown, omitted, skipped_blocks, limit, url)
    if note:
        doc.add(note)
    doc.add(_footer(url))
    return doc.text()


# --- head: verdict, reasons, totals, stress ---------------------------------------------------


def _head(result: GateResult, red: Redactor, url: str | None) -> list[str]:
    blocks = [_verdict_line(result, red)]
    meta = _meta_line(result, red, url)
    if meta:
        blocks.append(meta)
    if result.reasons:
        blocks.append(_reasons(result.reasons, red))
    if result.suites:
        blocks.append(_totals_table(result, red))
    if result.baseline is not None:
        blocks.extend(_baseline_blocks(result, result.baseline, red))
    if result.stress is not None:
        blocks.extend(_stress_blocks(result.stress, red))
    return blocks


def _baseline_blocks(result: GateResult, report: BaselineReport, red: Redactor) -> list[str]:
    blocks = [
        "### ⚖️ Against the baseline",
        "**Baseline:** "
        + md_inline(safe_text(baseline_rows.source_line(report), REASON_CHARS, red)),
    ]
    for why in report.why_not:
        blocks.append(f"> ⚪ Not compared: {md_inline(safe_text(why, REASON_CHARS, red))}")
    rows, more = baseline_rows.endpoint_rows(report)
    if rows:
        cells = [[md_code(safe_id(r[0], ID_CHARS, red), cell=True), *r[1:]] for r in rows]
        if more:
            cells.append([f"… {more:,} more endpoints (see result.json)", *[""] * 5])
        header = ["Endpoint", "p50 (ms)", "p95 (ms)", "p99 (ms)", "Errors", "Verdict"]
        blocks.append(_table(header, "|---|--:|--:|--:|--:|---|", cells))
    groups = baseline_rows.test_groups(report)
    lines = [baseline_rows.counts_line(report)]
    for title, ids, more in groups:
        shown = ", ".join(md_code(safe_id(i, ID_CHARS, red)) for i in ids)
        lines.append(f"**{title}:** {shown}" + (f" … and {more:,} more" if more else ""))
    blocks.append("  \n".join(lines))
    if result.stress is not None:
        graph = chart.comparison_chart(result.stress.timeline, report.base_timeline)
        if graph:
            legend = "p95 per second; first line: the baseline, second line: this run."
            blocks.append(f"{legend}\n\n{graph}")
    return blocks


def _verdict_line(result: GateResult, red: Redactor) -> str:
    tail = facts.headline_tail(result)
    line = f"## {facts.verdict_icon(result)} deploy-gate: {facts.verdict_word(result)}"
    if tail:
        line += " — " + md_inline(safe_text(tail, LINE_CHARS, red))
    return line


def _meta_line(result: GateResult, red: Redactor, url: str | None) -> str:
    parts = []
    if result.target:
        parts.append(f"Target: {md_code(safe_text(result.target, ID_CHARS, red))}")
    t = result.totals
    parts.append(f"{facts.plural(t.tests, 'test')} in {facts.duration(result.duration_s)}")
    cold = facts.cold_start(result)
    if cold:
        parts.append(f"Cold start: {cold}")
    if url:
        parts.append(f"[workflow run]({url})")
    return " · ".join(parts)


def _url(run_url: str | None, red: Redactor) -> str | None:
    """A link destination for the run, or None when the URL is not a plain, short http(s) URL.

    Angle-bracket destinations allow any character but `<`, `>` and line breaks.
    """
    if not run_url:
        return None
    safe = safe_text(run_url, URL_CHARS + 1, red)
    if len(safe) > URL_CHARS or not safe.startswith(("https://", "http://")):
        return None
    return "<" + safe.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20") + ">"


def _reasons(reasons: list[str], red: Redactor) -> str:
    lines = [f"- {md_inline(safe_text(r, REASON_CHARS, red))}" for r in reasons[:MAX_REASONS]]
    if len(reasons) > MAX_REASONS:
        lines.append(f"- … and {len(reasons) - MAX_REASONS:,} more reasons (see result.json)")
    return "\n".join(lines)


def _totals_row(name: str, outcome: str, t: Totals, seconds: float) -> str:
    cells = [name, *(f"{v:,}" for v in _counts(t)), facts.duration(seconds), outcome]
    return "| " + " | ".join(cells) + " |"


def _counts(t: Totals) -> tuple[int, ...]:
    return (t.tests, t.passed, t.failed, t.errors, t.skipped, t.flaky, t.quarantined)


def _suite_outcome(suite: SuiteResult) -> str:
    word = f"{facts.OUTCOME_ICON[suite.outcome]} {suite.outcome}"
    return word if suite.blocking else f"{word} (advisory)"


def _totals_table(result: GateResult, red: Redactor) -> str:
    rows = [
        "| Suite | Tests | Passed | Failed | Errors | Skipped | Flaky | Quarantined "
        "| Duration | Outcome |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for suite in result.suites[:MAX_SUITE_ROWS]:
        name = md_inline(safe_id(suite.name, 80, red))
        rows.append(_totals_row(name, _suite_outcome(suite), suite.totals, suite.duration_s))
    hidden = len(result.suites) - MAX_SUITE_ROWS
    if hidden > 0:
        rows.append(f"| … {hidden:,} more suites (see result.json) |" + " |" * 9)
    if len(result.suites) > 1:
        outcome = f"{facts.OUTCOME_ICON[result.outcome]} {result.outcome}"
        rows.append(_totals_row("**Total**", f"**{outcome}**", result.totals, result.duration_s))
    return "\n".join(rows)


def _table(header: list[str], align: str, rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", align]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def _stress_blocks(stress: StressSummary, red: Redactor) -> list[str]:
    blocks = ["### 📈 Stress", stress_rows.overview(stress)]
    for icon, text in stress_rows.notes(stress):
        blocks.append(f"> {icon} {md_inline(safe_text(text, REASON_CHARS, red))}")
    latency, more = stress_rows.latency_rows(stress)
    if latency:
        rows = [[md_code(safe_id(r[0], ID_CHARS, red), cell=True), *r[1:]] for r in latency]
        if more:
            rows.append([f"… {more:,} more metrics (see result.json)", *[""] * 6])
        header = ["Metric (ms)", "Count", "p50", "p90", "p95", "p99", "Max"]
        blocks.append(_table(header, "|---|--:|--:|--:|--:|--:|--:|", rows))
    rates, more = stress_rows.rate_rows(stress)
    if rates:
        rows = [[md_code(safe_id(r[0], ID_CHARS, red), cell=True), *r[1:]] for r in rates]
        if more:
            rows.append([f"… {more:,} more metrics", "", ""])
        blocks.append(_table(["Rate metric", "Rate", "Count"], "|---|--:|--:|", rows))
    limits, more = stress_rows.thresholds(stress)
    if limits:
        rows = [
            [
                f"{stress_rows.threshold_icon(t.ok)}",
                md_code(safe_id(t.metric, ID_CHARS, red), cell=True),
                md_code(safe_text(t.expression, 120, red), cell=True),
                t.measured if t.ok is not None else f"{t.measured} ({_unjudged(t.measured)})",
            ]
            for t in limits
        ]
        if more:
            rows.append(["", f"… {more:,} more thresholds", "", ""])
        blocks.append(_table(["", "Metric", "Limit", "Measured"], "|:-:|---|---|--:|", rows))
    counted = [
        f"**{title}:** " + ", ".join(f"{md_inline(safe_text(k, 40, red))} × {v}" for k, v in pairs)
        for title, pairs in stress_rows.counters(stress)
    ]
    if counted:
        blocks.append("  \n".join(counted))
    graph = chart.latency_chart(stress.timeline)
    if graph:
        legend = "Latency per second of the run; lines from bottom to top: p50, p95, p99."
        blocks.append(f"{legend}\n\n{graph}")  # one block: never the legend without the chart
    return blocks


def _unjudged(measured: str) -> str:
    return "skipped" if measured == "no baseline" else "inconclusive"


# --- problem sections: whole items until the budget is spent --------------------------------


def _sections(
    result: GateResult, red: Redactor, doc: _Doc, budget: int
) -> tuple[dict[str, int], dict[str, int]]:
    sections = facts.Sections(result)
    shown = dict.fromkeys(facts.KINDS, 0)
    omitted = {kind: sections.count(kind) for kind in facts.KINDS}
    full = False
    for kind in facts.KINDS:
        if full or not omitted[kind]:
            continue
        items: list[str] = []
        heading = "### " + SECTION_TITLE[kind].format(n=f"{omitted[kind]:,}")
        separator = "\n\n" if kind == "failing" else "\n"
        size = len(heading) + 2
        for entry in sections.ordered(kind):
            item = _item(kind, entry, red)
            extra = len(item) + (len(separator) if items else 0)
            if doc.size + (2 if doc.blocks else 0) + size + extra > budget:
                full = True
                break
            items.append(item)
            size += extra
        if items:
            doc.add(heading)
            doc.add(separator.join(items))
        shown[kind] = len(items)
        omitted[kind] -= len(items)
    return shown, omitted


def _item(kind: str, entry: facts.Entry, red: Redactor) -> str:
    if kind == "failing":
        return _failing_item(entry.suite, entry.problem, red)
    p = entry.problem
    suite = md_inline(safe_id(entry.suite.name, 80, red))
    icon = facts.PROBLEM_ICON.get(p.outcome, "•")
    line = f"- {icon} **{suite}** › {md_code(safe_id(p.id, ID_CHARS, red))}"
    message = safe_text(p.message or p.detail, LINE_CHARS, red)
    return f"{line} — {md_inline(message)}" if message else line


def _failing_item(suite: SuiteResult, p: Problem, red: Redactor) -> str:
    labels = [str(p.outcome)]
    if p.tier:
        labels.append(safe_text(p.tier, 10, red))
    if p.duration_s:
        labels.append(facts.duration(p.duration_s))
    first_line = safe_text(str(p.message)[: LINE_CHARS * 4].split("\n", 1)[0], LINE_CHARS, red)
    icon = facts.PROBLEM_ICON.get(p.outcome, "❌")
    summary = (
        f"{icon} <b>{html_text(safe_id(suite.name, 80, red))}</b>"
        f" › <code>{html_text(safe_id(p.id, ID_CHARS, red))}</code>"
        f" ({html_text(', '.join(labels))})"
    )
    if first_line:
        summary += f" — {html_text(first_line)}"
    parts = [f"<details><summary>{summary}</summary>"]
    if p.file:
        where = safe_text(p.file, ID_CHARS, red) + (f":{p.line}" if p.line else "")
        parts.append(f"at {md_inline(where)}")
    entry = red(facts.quarantine_entry(facts.Entry(suite, p)))
    parts.append(f"quarantine with `[policy] quarantine = [...]`: {md_code(entry)}")
    body = bound_block(p.message, MESSAGE_CHARS, red)
    detail = bound_block(p.detail, DETAIL_CHARS, red)
    if detail and detail != body:
        body = f"{body}\n\n{detail}" if body else detail
    parts.append(fenced(body) if body else "_(no message)_")
    parts.append("</details>")
    return "\n\n".join(parts)


def _truncation_line(
    shown: dict[str, int], omitted: dict[str, int], blocks: int, limit: int, url: str | None
) -> str:
    if not any(omitted.values()) and not blocks:
        return ""
    left_out = [
        f"{omitted[k]:,} of {shown[k] + omitted[k]:,} {k} tests" for k in facts.KINDS if omitted[k]
    ]
    if blocks:
        left_out.insert(0, f"{blocks} summary {'section' if blocks == 1 else 'sections'}")
    where = "in `result.json` among the run's artifacts"
    if url:
        where = f"in `result.json` among the [run's artifacts]({url})"
    return (
        f"> ✂️ **Truncated** to {limit:,} characters; not shown here: {', '.join(left_out)}. "
        f"Every test is listed {where}."
    )


def _footer(url: str | None) -> str:
    run = f" · [workflow run]({url})" if url else ""
    return f"<sub>deploy-gate · every test and message: result.json · JUnit: junit/{run}</sub>"
