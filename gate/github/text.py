"""Short texts derived from a result: status descriptions, titles, and safe one-liners.

GitHub caps deployment and commit status descriptions at 140 characters; they must still say
why ("blocked: 2 failed in smoke"), so they are built from counts, not truncated prose.
"""

from __future__ import annotations

import re

from gate.model import GateResult, Outcome, SuiteResult, Verdict
from gate.reports.escape import safe_text

DESCRIPTION_LIMIT = 140
DESCRIPTION_PREFIX = "deploy-gate "


def clip(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, with "..." when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 3)].rstrip() + "..."


def headline(result: GateResult) -> str:
    if result.verdict is Verdict.PASS:
        return "passed with warnings" if result.outcome is Outcome.WARNED else "passed"
    return "blocked"


def describe(result: GateResult, limit: int = DESCRIPTION_LIMIT, *, prefix: str = "") -> str:
    """e.g. "blocked: 2 failed in smoke, 1 error in e2e" or "passed: 42 tests" (<= limit)."""
    parts = [_suite_part(s) for s in result.suites if s.outcome is not Outcome.PASSED]
    details = ", ".join(p for p in parts if p)
    if not details and result.reasons:
        details = result.reasons[0]
    if not details:
        details = f"{result.totals.tests} tests"
    if result.verdict is Verdict.PASS and details and not details[0].isdigit():
        details = f"{result.totals.tests} tests; {details}"
    # test names and reasons are untrusted: cleaned and redacted (statuses are plain text)
    return safe_text(f"{prefix}{headline(result)}: {details}", limit)


def _suite_part(suite: SuiteResult) -> str:
    t = suite.totals
    counts = [
        f"{n} {word} in {suite.name}"
        for n, word in (
            (t.failed, "failed"),
            (t.errors, "error" if t.errors == 1 else "errors"),
            (t.flaky, "flaky"),
        )
        if n
    ]
    if counts:
        return ", ".join(counts)
    if suite.outcome is Outcome.WARNED and t.skipped:
        return f"{t.skipped} skipped in {suite.name}"
    reason = suite.reasons[0] if suite.reasons else ""
    return f"{suite.name} {suite.outcome}" + (f" ({reason})" if reason else "")


_SAFE_ENV = re.compile(r"[^A-Za-z0-9._/-]+")


def safe_environment(environment: str) -> str:
    """An environment name fit for an HTML comment marker and a status context."""
    return _SAFE_ENV.sub("-", environment).strip("-") or "default"
