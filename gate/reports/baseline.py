"""The baseline comparison (`result.baseline`) as rows and lines the renderers format.

Endpoint names and test ids come from the configuration and the JUnit files: they are returned
raw and escaped by the caller, like the stress rows.
"""

from __future__ import annotations

from gate.model import BaselineReport, EndpointComparison, LatencyStats
from gate.reports.stress import ms, percent

MAX_ROWS = 30
MAX_TESTS = 15
VERDICT_ICON = {"regressed": "❌", "improved": "🟢", "unchanged": "✅", "not compared": "⚪"}
TEST_GROUPS = (
    ("new_failures", "New failures"),
    ("known_failures", "Known failures (failing in the baseline too)"),
    ("fixed", "Fixed since the baseline"),
    ("missing", "Missing since the baseline"),
)


def source_line(report: BaselineReport) -> str:
    """`<sha> · <run> · <time> · its verdict: pass` (raw text: escape it)."""
    src = report.source
    parts = [p for p in ((src.sha or "")[:12], src.run_url, src.time) if p]
    if not parts and src.path:
        parts.append(src.path)
    if src.verdict:
        parts.append(f"its verdict: {src.verdict}")
    return " · ".join(parts) if parts else "unknown"


def _pair(base: float | None, now: float | None) -> str:
    return f"{ms(base)} → {ms(now)}"


def _errors(base: LatencyStats, now: LatencyStats) -> str:
    return f"{percent(base.error_rate)} → {percent(now.error_rate)}"


def endpoint_rows(report: BaselineReport) -> tuple[list[list[str]], int]:
    """Rows `[endpoint, p50, p95, p99, errors, verdict]` ("base → now") and how many were cut."""
    rows = [_row(e) for e in report.endpoints]
    return rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS)


def _row(e: EndpointComparison) -> list[str]:
    # The verdict cell is written unescaped by every renderer: only the known words reach it
    # (a hand-edited or foreign result.json may carry anything there).
    word = e.verdict if e.verdict in VERDICT_ICON else "unknown"
    verdict = f"{VERDICT_ICON.get(word, '•')} {word}"
    if e.shift_ms is not None and e.verdict != "not compared":
        verdict += f" ({e.shift_ms:+.1f} ms typical)"
    return [
        e.name,
        _pair(e.base.p50, e.now.p50),
        _pair(e.base.p95, e.now.p95),
        _pair(e.base.p99, e.now.p99),
        _errors(e.base, e.now),
        verdict,
    ]


def test_groups(report: BaselineReport) -> list[tuple[str, list[str], int]]:
    """(title, first ids, how many more) for each non-empty group of test deltas."""
    out = []
    for key, title in TEST_GROUPS:
        ids: list[str] = getattr(report.tests, key)
        if ids:
            out.append((title, ids[:MAX_TESTS], max(0, len(ids) - MAX_TESTS)))
    return out


def counts_line(report: BaselineReport) -> str:
    t = report.tests
    return (
        f"tests: {len(t.new_failures)} new failures, {len(t.known_failures)} known, "
        f"{len(t.fixed)} fixed, {len(t.missing)} missing"
    )
