"""What every report says, computed once from a `GateResult` (no formatting for a medium here).

The Markdown summary, the terminal summary and the workflow annotations all lead with the same
verdict sentence and list problems in the same order: blocking suites first, then by priority
tier (p1 first), then in the order the reader found them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from gate.model import GateResult, Outcome, Problem, SuiteResult, Verdict

FAILING = ("failed", "error")
KINDS = ("failing", "flaky", "quarantined", "skipped")

OUTCOME_ICON = {
    Outcome.PASSED: "✅",
    Outcome.WARNED: "⚠️",
    Outcome.INCONCLUSIVE: "❔",
    Outcome.FAILED: "❌",
    Outcome.ERROR: "💥",
}
PROBLEM_ICON = {"failed": "❌", "error": "💥", "flaky": "🔁", "quarantined": "🧊", "skipped": "⏭️"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One problem with the suite it belongs to."""

    suite: SuiteResult
    problem: Problem


def kind_of_outcome(outcome: str) -> str:
    """The report section of a problem's outcome: failing, flaky, quarantined or skipped."""
    return "failing" if outcome in FAILING else outcome


_TIER_RANK: dict[str | None, int] = {None: 10}


def _tier_rank(tier: str | None) -> int:
    rank = _TIER_RANK.get(tier)
    if rank is None:
        rank = 10
        if tier and len(tier) == 2 and tier[0] in "pP" and tier[1].isdigit():
            rank = int(tier[1])
        if len(_TIER_RANK) < 1_000:
            _TIER_RANK[tier] = rank
    return rank


class Sections:
    """A result's problems by report section, most important first, sorted out in one pass.

    The order: blocking suites first, then by tier rank, then by the problem's index in its
    suite (suites in order on a tie). Problems are bucketed by (blocking, tier rank) instead of
    sorted: reports show the first few of 90,000 problems. Each report makes one `Sections`
    and asks it every question (counts, the first N of a section): one pass per question cost
    about 0.05 s there, 0.45 s for the three reports of one run.
    """

    def __init__(self, result: GateResult) -> None:
        self._counts = dict.fromkeys(KINDS, 0)
        # kind -> (blocking rank, tier rank) -> the suites' problems there, in suite order
        self._buckets: dict[str, dict[tuple[bool, int], list[_Chunk]]] = {k: {} for k in KINDS}
        kinds = {outcome: kind_of_outcome(outcome) for outcome in _OUTCOMES}
        for suite in result.suites:
            self._add_suite(suite, kinds)

    def _add_suite(self, suite: SuiteResult, kinds: dict[str, str]) -> None:
        rank = not suite.blocking
        mine: dict[tuple[str, int], list[tuple[int, Problem]]] = {}
        for index, problem in enumerate(suite.problems):
            kind = kinds.get(problem.outcome) or kind_of_outcome(problem.outcome)
            tier = 10 if problem.tier is None else _tier_rank(problem.tier)
            group = mine.get((kind, tier))
            if group is None:
                group = mine[kind, tier] = []
            group.append((index, problem))
        for (kind, tier), group in mine.items():
            if kind in self._counts:
                self._counts[kind] += len(group)
                self._buckets[kind].setdefault((rank, tier), []).append((suite, group))

    def count(self, kind: str) -> int:
        """How many problems section `kind` holds."""
        return self._counts.get(kind, 0)

    def ordered(self, kind: str) -> Iterator[Entry]:
        """The problems of section `kind`, most important first, made one by one as taken."""
        buckets = self._buckets.get(kind, {})
        for key in sorted(buckets):
            chunks = buckets[key]
            if len(chunks) == 1:
                suite, group = chunks[0]
                for _, problem in group:
                    yield Entry(suite, problem)
                continue
            merged = sorted(
                (index, position, problem)
                for position, (_, group) in enumerate(chunks)
                for index, problem in group
            )  # (index, position) is unique: Problem is never compared
            for _, position, problem in merged:
                yield Entry(chunks[position][0], problem)

    def entries(self, kind: str, limit: int | None = None) -> list[Entry]:
        """The first `limit` problems of section `kind` (all without a limit)."""
        return list(islice(self.ordered(kind), limit))


_Chunk = tuple[SuiteResult, list[tuple[int, Problem]]]
_OUTCOMES = ("failed", "error", "flaky", "quarantined", "skipped")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def headline_tail(result: GateResult) -> str:
    """Why, in a few words: "2 tests failed in smoke", or the first reason. Untrusted parts
    (suite names, reasons) are returned raw; callers escape them."""
    if result.verdict == Verdict.BLOCK:
        failing = [
            (s.name, sum(map(FAILING.__contains__, (p.outcome for p in s.problems))))
            for s in result.suites
            if s.blocking and s.outcome.severity >= Outcome.FAILED.severity
        ]
        failing = [(name, n) for name, n in failing if n]
        if failing:
            total = sum(n for _, n in failing)
            names = ", ".join(name for name, _ in failing)
            return f"{plural(total, 'test')} failed in {names}"
    elif result.outcome == Outcome.PASSED:
        return ""
    if result.reasons:
        more = len(result.reasons) - 1
        return result.reasons[0] + (f" (+{more} more)" if more else "")
    return str(result.outcome)


def verdict_word(result: GateResult) -> str:
    if result.verdict == Verdict.PASS and result.outcome == Outcome.WARNED:
        return "pass with warnings"
    return str(result.verdict)


def verdict_icon(result: GateResult) -> str:
    if result.verdict == Verdict.BLOCK:
        return "⛔"
    return "⚠️" if result.outcome == Outcome.WARNED else "✅"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def cold_start(result: GateResult) -> str | None:
    """`ready after 1.2 s, first answer 35 ms` from result.json's `cold_start`, or None.

    The values come from result.json, which `gate report` reads back: anything that is not a
    number is left out rather than shown.
    """
    data = result.cold_start
    if not isinstance(data, dict):
        return None
    ready, first = data.get("ready_s"), data.get("first_ms")
    parts = []
    if isinstance(ready, int | float) and not isinstance(ready, bool):
        parts.append(f"ready after {duration(float(ready))}")
    if isinstance(first, int | float) and not isinstance(first, bool):
        parts.append(f"first answer {float(first):.0f} ms")
    return ", ".join(parts) or None


# A quarantine id longer than this is cut and ends in `*` (it stays a valid pattern).
QUARANTINE_ID_CHARS = 200
_FNMATCH_SPECIAL = re.compile(r"([\[\]*?])")
_UNPRINTABLE = re.compile(
    r"[^\S ]|[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)


def quarantine_id(test_id: str, limit: int = QUARANTINE_ID_CHARS) -> str:
    """The `[policy] quarantine` id that matches this test, ready to copy.

    The id itself when it is printable and short (the policy compares ids for equality before
    it tries wildcards); else a pattern: `[`, `*`, `?` made literal (`[[]`), characters a report
    cannot show replaced by `?`, and a cut marked with `*`.
    """
    if len(test_id) <= limit and not _UNPRINTABLE.search(test_id):
        return test_id
    pattern = ""
    for char in test_id:
        piece = "?" if _UNPRINTABLE.match(char) else _FNMATCH_SPECIAL.sub(r"[\1]", char)
        if len(pattern) + len(piece) > limit - 1:
            return pattern + "*"
        pattern += piece
    return pattern


def quarantine_entry(entry: Entry) -> str:
    """A `[policy] quarantine` line for a failing test: `{ id = "...", suite = "smoke", reason =
    "..." },` (TOML basic strings take JSON's escapes)."""
    test_id = json.dumps(quarantine_id(entry.problem.id), ensure_ascii=False)
    suite = json.dumps(entry.suite.name, ensure_ascii=False)
    return f'{{ id = {test_id}, suite = {suite}, reason = "why, and a ticket" }},'
