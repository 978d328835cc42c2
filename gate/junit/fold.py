"""Folding testcases into unique tests: reruns, flaky tests, bounded problems, small memory.

Identity is (innermost `<testsuite>` name, classname, name, file). Passed testcases are kept
only as 64-bit hashes of their identity in 256 `array('q')` buckets (8 bytes a test, no Python
object per test), so a million passing tests cost about 8 MB. Non-passed testcases are kept in
full (bounded text) because they are reported one by one. At the end each bucket is turned into a
set once, which counts the unique passed tests and tells which failed tests also passed somewhere
(flaky). Hashes are Python's process-local `hash` of the identity tuple: two different tests
colliding among a million has a probability near 1e-8, and would only merge two counts.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from gate.junit.text import (
    DETAIL_LIMIT,
    MESSAGE_LIMIT,
    Redact,
    bound,
    clean_name,
    clean_text,
)
from gate.model import CaseStatus

_SKIP, _FAIL, _ERROR, _FLAKY, _PASS = 1, 2, 4, 8, 16
_SEVERITY = {_SKIP: 1, _FAIL: 2, _ERROR: 3}
_OUTCOME_TAGS = {
    "failure": _FAIL,
    "error": _ERROR,
    "skipped": _SKIP,
    "rerunFailure": _FAIL,
    "rerunError": _ERROR,
    "flakyFailure": _FLAKY,
    "flakyError": _FLAKY,
}
# Text kept for all problems of one read, so that 100,000 failing tests stay bounded too.
DETAIL_BUDGET = 1_000_000
MESSAGE_BUDGET = 500_000
SHORT_MESSAGE = 200


def local_name(tag: str) -> str:
    """`{namespace}name` -> `name`."""
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def parse_seconds(value: str | None) -> float:
    """A `time` attribute in seconds. `0,5` is 0.5 (decimal comma), never 5.0; junk is 0."""
    if not value:
        return 0.0
    try:
        seconds = float(value)
        if 0.0 <= seconds < 1e9:
            return seconds
    except ValueError:
        text = value.strip()
        text = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
        try:
            seconds = float(text.replace(",", ""))
        except ValueError:
            return 0.0
    return seconds if 0.0 <= seconds < 1e9 else 0.0


@dataclass(slots=True)
class FoldedCase:
    """One unique test that did not simply pass: failed, error, skipped or flaky."""

    id: str
    name: str
    status: CaseStatus
    message: str = ""
    detail: str = ""
    duration_s: float = 0.0
    file: str | None = None
    line: int | None = None
    tier: str | None = None


@dataclass(slots=True)
class AttributeCounts:
    """Counts taken from `<testsuite>` attributes, used only for files without any testcase."""

    tests: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0


@dataclass(slots=True)
class JUnitData:
    """Everything the policy needs from the JUnit files of one suite."""

    passed: int = 0  # unique tests that passed, flaky ones included
    cases: list[FoldedCase] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one sentence per unreadable input
    files: list[Path] = field(default_factory=list)  # read without error
    spools: dict[Path, Path] = field(default_factory=dict)  # file -> its body as text
    testcases: int = 0  # testcase elements read, reruns included
    duration_s: float = 0.0
    from_attributes: AttributeCounts = field(default_factory=AttributeCounts)


class _Record:
    """A non-passed identity while reading: which attempt kinds were seen, the worst one's text."""

    __slots__ = ("attempts", "detail", "duration", "line", "message", "seen", "tier", "worst")

    def __init__(self) -> None:
        self.seen = 0
        self.worst = 0
        self.attempts = 0
        self.message = ""
        self.detail = ""
        self.duration = 0.0
        self.tier: str | None = None
        self.line: int | None = None


class Folder:
    """Receives testcase elements one by one (`add`) and folds them (`finish`)."""

    def __init__(self, redact: Redact) -> None:
        self._redact = redact
        self._buckets = [array("q") for _ in range(256)]
        self._records: dict[tuple[str, str, str, str], _Record] = {}
        self._detail_budget = DETAIL_BUDGET
        self._message_budget = MESSAGE_BUDGET
        self.add, self._stats = self._make_add()

    @property
    def testcases(self) -> int:
        """Testcase elements seen so far, reruns included."""
        return self._stats()[0]

    @property
    def duration(self) -> float:
        """Sum of the testcases' `time` so far."""
        return self._stats()[1]

    def _make_add(
        self,
    ) -> tuple[Callable[[str, Element], None], Callable[[], tuple[int, float]]]:
        """`add(suite, testcase)`, called a million times, as a closure over locals so the
        passed path touches no attribute; and a reader of its counters."""
        buckets = self._buckets
        add_problem = self._add_problem
        outcome_tags = _OUTCOME_TAGS
        count = 0
        total = 0.0

        def add(suite: str, case: Element) -> None:
            nonlocal count, total
            get = case.attrib.get
            key = (suite, get("classname") or get("class") or "", get("name", ""), get("file", ""))
            count += 1
            seconds = 0.0
            text = get("time")
            if text:
                try:
                    seconds = float(text)
                except ValueError:
                    seconds = parse_seconds(text)
                else:
                    if not 0.0 <= seconds < 1e9:
                        seconds = 0.0
                total += seconds
            if not len(case):
                hashed = hash(key)
                buckets[hashed & 255].append(hashed)
                return
            kinds = 0
            for child in case:
                kinds |= outcome_tags.get(local_name(child.tag), 0)
            if kinds & ~_FLAKY == 0:
                if not kinds:  # only properties, system-out and the like
                    hashed = hash(key)
                    buckets[hashed & 255].append(hashed)
                    return
                kinds = _FLAKY | _PASS  # only flakyFailure/flakyError: passed on a retry
            add_problem(key, case, kinds, seconds)

        def stats() -> tuple[int, float]:
            return count, total

        return add, stats

    def _add_problem(
        self, key: tuple[str, str, str, str], case: Element, kinds: int, s: float
    ) -> None:
        record = self._records.get(key)
        if record is None:
            record = self._records[key] = _Record()
        record.attempts += 1
        record.seen |= kinds
        worst = max((_SEVERITY[k] for k in (_SKIP, _FAIL, _ERROR) if kinds & k), default=0)
        if worst > record.worst or (not record.message and not record.detail):
            record.worst = max(worst, record.worst)
            record.duration = s
            record.message, record.detail = self._texts(case, kinds)
            record.line = _int(case.get("line"))
        if record.tier is None:
            record.tier = _tier(case)

    def _texts(self, case: Element, kinds: int) -> tuple[str, str]:
        """(message, detail) of the most telling outcome element, bounded within the budgets."""
        wanted: tuple[str, ...] = ("error", "failure", "rerunError", "rerunFailure", "skipped")
        if kinds & _FLAKY and not kinds & (_FAIL | _ERROR | _SKIP):
            wanted = ("flakyError", "flakyFailure")
        found: dict[str, Element] = {}
        output: list[str] = []
        for child in case:
            tag = local_name(child.tag)
            found.setdefault(tag, child)
            if tag in ("system-out", "system-err") and child.text and child.text.strip():
                output.append(f"--- {tag} ---\n{bound(child.text.strip(), 2_000)}")
        element = next((found[t] for t in wanted if t in found), None)
        if element is None:
            return "", ""
        body = element.text or ""
        for sub in element:  # Surefire puts flaky/rerun traces in <stackTrace>
            if local_name(sub.tag) == "stackTrace" and sub.text:
                body = f"{body}\n{sub.text}" if body.strip() else sub.text
        message = element.get("message") or ""
        kind = element.get("type") or ""
        if not message:
            first = next((ln.strip() for ln in body[:4_000].splitlines() if ln.strip()), "")
            message = first or kind
        if kinds & _FLAKY and not kinds & (_FAIL | _ERROR):
            retried = sum(1 for c in case if local_name(c.tag).startswith("flaky"))
            message = f"passed on retry after {retried} failed attempt(s): {message}"
        detail = "\n".join(x for x in (body.strip("\n"), *output) if x.strip())
        return self._spend(message, detail)

    def _spend(self, message: str, detail: str) -> tuple[str, str]:
        limit = MESSAGE_LIMIT if self._message_budget > 0 else SHORT_MESSAGE
        message = clean_text(message, limit, self._redact)
        self._message_budget -= len(message)
        if self._detail_budget <= 0:
            return message, "[detail dropped: the report's text budget is spent]" if detail else ""
        detail = clean_text(detail, DETAIL_LIMIT, self._redact)
        self._detail_budget -= len(detail)
        return message, detail

    def finish(self) -> tuple[int, list[FoldedCase]]:
        """(unique passed tests incl. flaky, the non-passed unique tests in reading order)."""
        by_bucket: dict[int, list[tuple[int, tuple[str, str, str, str]]]] = {}
        for key in self._records:
            hashed = hash(key)
            by_bucket.setdefault(hashed & 255, []).append((hashed, key))
        passed = 0
        passed_somewhere: set[tuple[str, str, str, str]] = set()
        for index, bucket in enumerate(self._buckets):
            unique = set(bucket)
            passed += len(unique)
            passed_somewhere.update(k for h, k in by_bucket.get(index, ()) if h in unique)
            self._buckets[index] = array("q")
        cases: list[FoldedCase] = []
        for key, record in self._records.items():
            folded = _fold(key, record, key in passed_somewhere, self._redact)
            if folded is None:
                continue  # skipped in one attempt, passed in another: it ran and passed
            if folded.status is CaseStatus.FLAKY and key not in passed_somewhere:
                passed += 1
            cases.append(folded)
        return passed, cases


def _fold(
    key: tuple[str, str, str, str], record: _Record, passed: bool, redact: Redact
) -> FoldedCase | None:
    seen = record.seen | (_PASS if passed else 0)
    if seen & _PASS and seen & (_FAIL | _ERROR | _FLAKY):
        status = CaseStatus.FLAKY
    elif seen & _ERROR:
        status = CaseStatus.ERROR
    elif seen & _FAIL:
        status = CaseStatus.FAILED
    elif seen & _PASS:
        return None
    else:
        status = CaseStatus.SKIPPED
    message = record.message
    if status is CaseStatus.FLAKY and not message.startswith("passed on retry"):
        message = f"failed {_times(record.attempts)}, then passed on a rerun: {message}"
    elif record.attempts > 1 and status is not CaseStatus.SKIPPED:
        message = f"failed in all {record.attempts} attempts: {message}"
    suite, classname, name, file = key
    short = clean_name(name, redact) or "(unnamed)"
    owner = clean_name(classname, redact) or clean_name(suite, redact)
    return FoldedCase(
        id=_join_id(owner, short),
        name=short,
        status=status,
        message=message,
        detail=record.detail,
        duration_s=record.duration,
        file=clean_name(file) or None,
        line=record.line,
        tier=record.tier,
    )


def case_id(suite: str, classname: str, name: str, redact: Redact | None = None) -> str:
    """How a test is named in reports and matched by the quarantine list.

    `classname::name`; just `name` when the producer already repeats the class in the name
    (jest-junit puts it first, mocha-junit-reporter last); `suite::name` when there is no
    classname (some go and k6 reports).
    """
    short = clean_name(name, redact) or "(unnamed)"
    return _join_id(clean_name(classname, redact) or clean_name(suite, redact), short)


def _join_id(owner: str, name: str) -> str:
    if not owner or name == owner or name.startswith(f"{owner} ") or name.endswith(f" {owner}"):
        return name
    return f"{owner}::{name}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _tier(case: Element) -> str | None:
    for child in case:
        if local_name(child.tag) != "properties":
            continue
        for prop in child:
            if prop.get("name") == "priority":
                value = (prop.get("value") or prop.text or "").strip().lower()
                if value in ("p1", "p2", "p3", "p4", "p5", "p6"):
                    return value
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
