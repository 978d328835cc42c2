"""Folding testcases into unique tests: reruns in order, flaky tests, bounded text, small memory.

Identity is (innermost `<testsuite>` name, classname, name, file); a testcase without a name is
its own test. Attempts of one identity are folded in the order they are read (docs/junit.md).

Passed testcases are kept only as 64-bit hashes of their identity in 256 `array('q')` buckets
(8 bytes a test, no Python object per test), so a million passing tests cost about 8 MB. A
non-passed identity gets a small record keyed by the same hash; a later pass of it updates the
record, so the fold knows which attempt came last without keeping the order of passes. Text
(messages, traces) is kept within fixed budgets, so memory does not grow with the failures'
text. At the end each bucket is turned into a set once, which counts the unique passed tests and
tells which records passed before their first failure. Hashes are Python's process-local `hash`
of the identity tuple: two different tests colliding among a million has a probability near
1e-8, and would only merge two counts.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from gate.junit.body import Body
from gate.junit.text import (
    DETAIL_LIMIT,
    MESSAGE_LIMIT,
    Redact,
    bound,
    clean_name,
    clean_text,
)
from gate.model import CaseStatus, Problem

_SKIP, _FAIL, _ERROR, _FLAKY, _PASS = 1, 2, 4, 8, 16
_PROPS = 32  # a child tag, not an outcome: the testcase has <properties> (its priority tier)
_OUTCOMES = _SKIP | _FAIL | _ERROR | _FLAKY
_SEVERITY = {_SKIP: 1, _FAIL: 2, _ERROR: 3}
# the worst severity of every combination of _SKIP, _FAIL and _ERROR
_WORST = tuple(max((v for k, v in _SEVERITY.items() if bits & k), default=0) for bits in range(8))
_OUTCOME_TAGS = {
    "failure": _FAIL,
    "error": _ERROR,
    "skipped": _SKIP,
    "rerunFailure": _FAIL,
    "rerunError": _ERROR,
    "flakyFailure": _FLAKY,
    "flakyError": _FLAKY,
}
_CHILD_KINDS = {**_OUTCOME_TAGS, "properties": _PROPS}
# Which outcome element's text a record keeps, most telling first.
_TEXT_SOURCES = {
    tag: rank
    for rank, tag in enumerate(("error", "failure", "rerunError", "rerunFailure", "skipped"))
}
_FLAKY_TEXT_SOURCES = {"flakyError": 0, "flakyFailure": 1}
# What `status` / `result` attributes say when a testcase did not run (docs/junit.md).
_NOT_RUN = frozenset({"disabled", "notrun", "not_run", "skipped", "suppressed"})
# Text kept for all problems of one read, so that 100,000 failing tests stay bounded too:
# details (trace, output) for at most DETAILED_CASES tests within DETAIL_BUDGET characters,
# messages for every test until MESSAGE_BUDGET characters are spent.
DETAILED_CASES = 500
# Cleaned messages kept for reuse: thousands of skipped or erroring tests share a few messages
# ("feature flag off", "Connection refused"), and cleaning and redacting one costs microseconds.
_MESSAGES_CACHED = 10_000
_MESSAGE_CACHED_CHARS = 200
_EXPORT_RECORDS = 2_000  # records per piece of `Folder.export`
DETAIL_BUDGET = 1_000_000
MESSAGE_BUDGET = 500_000


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
class FoldedCase(Problem):
    """One unique test that did not simply pass: failed, error, skipped or flaky.

    It is the `Problem` the policy lists (`outcome` is `status` as text, `duration_s` rounded
    to the millisecond), plus what only the reader knows: the test's own `name` and `status`.
    Not copying 100,000 of them into new objects is why it is one.
    """

    name: str = ""
    status: CaseStatus = CaseStatus.FAILED


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
    bodies: dict[Path, Body] = field(default_factory=dict)  # file -> where its body is
    testcases: int = 0  # testcase elements read, reruns included
    nameless: int = 0  # testcases without a name (each counted as its own test)
    messages_cut: int = 0  # non-passed tests whose message was left out (text budget spent)
    duration_s: float = 0.0
    from_attributes: AttributeCounts = field(default_factory=AttributeCounts)


class _Record:
    """A non-passed identity while reading: what its attempts were, in order, and its text."""

    __slots__ = (
        "attempts",
        "cut",
        "detail",
        "duration",
        "file",
        "id",
        "last",
        "line",
        "message",
        "name",
        "passes",
        "seen",
        "tier",
        "worst",
    )

    def __init__(self, id: str, name: str, file: str | None) -> None:
        # cleaned and redacted once, when the identity first fails: the raw attributes are
        # not kept, and the folded case shares these strings
        self.id = id
        self.name = name
        self.file = file
        self.seen = 0  # every kind any attempt had (_SKIP, _FAIL, _ERROR, _FLAKY)
        self.last = 0  # the latest attempt that ran: _PASS, _FAIL or _ERROR (0: none yet)
        self.worst = 0
        self.attempts = 0  # attempts that did not simply pass
        self.passes = 0  # plain passes after this record was made
        self.cut = False  # its text was left out: the message budget was spent
        self.message = ""
        self.detail = ""
        self.duration = 0.0
        self.tier: str | None = None
        self.line: int | None = None


class Folder:
    """Receives testcase elements one by one, in reading order (`add`), and folds them (`finish`).

    The order of `add` calls is the order of attempts: document order within a file, then the
    order the files were given in.
    """

    def __init__(self, redact: Redact) -> None:
        self._redact = redact
        self._buckets = [array("q") for _ in range(256)]
        self._records: dict[int, _Record] = {}  # by the identity's hash, in first-seen order
        self._detail_budget = DETAIL_BUDGET
        self._message_budget = MESSAGE_BUDGET
        self._detailed = 0
        self._owners = _Owners(redact)
        self._messages: dict[str, str] = {}  # raw message -> cleaned (most messages repeat)
        self.messages_cut = 0
        self.add, self._stats, self._count_more = self._make_add()

    @property
    def testcases(self) -> int:
        """Testcase elements seen so far, reruns included."""
        return self._stats()[0]

    @property
    def duration(self) -> float:
        """Sum of the testcases' `time` so far."""
        return self._stats()[1]

    @property
    def nameless(self) -> int:
        """Testcases without a name so far (each is its own test)."""
        return self._stats()[2]

    def _make_add(
        self,
    ) -> tuple[
        Callable[[str, Element], None],
        Callable[[], tuple[int, float, int]],
        Callable[[int, float], None],
    ]:
        """`add(suite, testcase)`, called a million times, as a closure over locals so the
        passed path touches no attribute; a reader of its counters; and a way to add to them
        (what a later part of the file, read elsewhere, counted)."""
        buckets = self._buckets
        records = self._records
        add_problem = self._add_problem
        tag_kinds = dict(_CHILD_KINDS)  # grows with namespaced and other child tags seen
        count = 0
        total = 0.0
        nameless = 0

        def add(suite: str, case: Element) -> None:
            nonlocal count, total, nameless
            get = case.attrib.get
            name = get("name")
            key: tuple[str, str, str, str] | tuple[str, str, str, str, int]
            if name and not name.isspace():
                key = (suite, get("classname") or get("class") or "", name, get("file", ""))
            else:  # no name: its own test, never an attempt of another nameless one
                nameless += 1
                key = (suite, get("classname") or get("class") or "", "", get("file", ""), nameless)
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
            kinds = 0
            if len(case):
                for child in case:
                    tag = child.tag
                    kind = tag_kinds.get(tag)
                    if kind is None:
                        kind = _CHILD_KINDS.get(local_name(tag), 0)
                        if len(tag_kinds) < 1_000:
                            tag_kinds[tag] = kind
                    kinds |= kind
            if not kinds & (_FAIL | _ERROR) and (get("status") or get("result")):
                kinds |= _not_run(get("status"), get("result"))
            hashed = hash(key)
            if not kinds & _OUTCOMES:  # passed (or only properties, system-out and the like)
                record = records.get(hashed)
                if record is None:
                    buckets[hashed & 255].append(hashed)
                else:  # an earlier attempt did not pass: this one is now the latest
                    record.last = _PASS
                    record.passes += 1
                return
            add_problem(hashed, key, case, kinds, seconds)

        def stats() -> tuple[int, float, int]:
            return count, total, nameless

        def count_more(testcases: int, seconds: float) -> None:
            nonlocal count, total
            count += testcases
            total += seconds

        return add, stats, count_more

    def _add_problem(
        self,
        hashed: int,
        key: tuple[str, str, str, str] | tuple[str, str, str, str, int],
        case: Element,
        kinds: int,
        s: float,
    ) -> None:
        record = self._records.get(hashed)
        if record is None:
            suite, classname, name, file = key[:4]
            short = clean_name(name, self._redact) or _unnamed(key)
            owner = self._owners(classname, suite)
            record = _Record(_join_id(owner, short), short, clean_name(file) or None)
            self._records[hashed] = record
        record.attempts += 1
        record.seen |= kinds
        if kinds & _ERROR:
            record.last = _ERROR
        elif kinds & _FAIL:
            record.last = _FAIL
        elif kinds & _FLAKY:
            record.last = _PASS  # flakyFailure/flakyError only: it passed on a retry
        # else: skipped, did not run: the latest attempt that ran stays what it was
        worst = _WORST[kinds & (_SKIP | _FAIL | _ERROR)]
        if worst > record.worst or (not record.message and not record.detail):
            record.worst = max(worst, record.worst)
            record.duration = s
            texts = self._texts(case, kinds, fresh=not record.detail)
            if texts is None:
                record.cut = True
            else:
                record.message, record.detail = texts
            record.line = _int(case.get("line"))
        if record.tier is None and kinds & _PROPS:
            record.tier = _tier(case)

    def _texts(self, case: Element, kinds: int, fresh: bool) -> tuple[str, str] | None:
        """(message, detail) of the most telling outcome element, within the budgets.

        Details (trace and output) go to the first `DETAILED_CASES` non-passed tests while the
        detail budget lasts; messages to every test while the message budget lasts. Past the
        message budget: None, the text is left out (and counted in `finish`), so memory stays
        bounded however many tests fail.
        """
        if self._message_budget <= 0:
            return None
        wanted = _TEXT_SOURCES
        if kinds & _FLAKY and not kinds & (_FAIL | _ERROR | _SKIP):
            wanted = _FLAKY_TEXT_SOURCES
        element = None
        rank = len(wanted)
        for child in case:  # the first child of the most telling tag
            tag = child.tag
            found = wanted.get(tag if tag[:1] != "{" else local_name(tag), rank)
            if found < rank:
                element, rank = child, found
        if element is None:
            return "", ""
        body = element.text or ""
        for sub in element:  # Surefire puts flaky/rerun traces in <stackTrace>
            if local_name(sub.tag) == "stackTrace" and sub.text:
                body = f"{body}\n{sub.text}" if body.strip() else sub.text
        message = element.get("message") or ""
        if not message:
            first = next((ln.strip() for ln in body[:4_000].splitlines() if ln.strip()), "")
            message = first or element.get("type") or ""
        if kinds & _FLAKY and not kinds & (_FAIL | _ERROR):
            retried = sum(1 for c in case if local_name(c.tag).startswith("flaky"))
            message = f"passed on retry after {retried} failed attempt(s): {message}"
        cleaned = self._messages.get(message)
        if cleaned is None:
            cleaned = clean_text(message, MESSAGE_LIMIT, self._redact)
            if len(self._messages) < _MESSAGES_CACHED and len(message) <= _MESSAGE_CACHED_CHARS:
                self._messages[message] = cleaned
        message = cleaned
        self._message_budget -= len(message)
        wants_detail = kinds & (_FAIL | _ERROR | _FLAKY)
        if not wants_detail or self._detail_budget <= 0 or self._detailed >= DETAILED_CASES:
            return message, ""
        output = [
            f"--- {tag} ---\n{bound(c.text.strip(), 2_000)}"
            for c in case
            if (tag := local_name(c.tag)) in ("system-out", "system-err")
            and c.text
            and c.text.strip()
        ]
        detail = "\n".join(x for x in (body.strip("\n"), *output) if x.strip())
        detail = clean_text(detail, DETAIL_LIMIT, self._redact)
        self._detail_budget -= len(detail)
        self._detailed += 1 if fresh else 0
        return message, detail

    def later_part(self) -> Folder:
        """An empty folder for a later part of the same file, read in another process
        (`gate.junit.split`): it redacts the same way; `absorb` then takes in what it folded."""
        return Folder(self._redact)

    def folds_alone(self) -> bool:
        """Whether every test here was attempted at most once without passing and no test
        was unnamed: then `absorb` gives exactly what one folder reading on would have.
        (Which attempt's text a test keeps, and what the text budgets charge, depend on
        the attempts before; replaying one attempt per test is exact, more would not be.)"""
        return not self.nameless and all(r.attempts == 1 for r in self._records.values())

    def export(self) -> Iterator[Any]:
        """What this folder learnt, as plain values (for `marshal`), for `absorb` elsewhere:
        (testcases, duration); then each bucket's hashes (int64 bytes, native order); then
        lists of up to `_EXPORT_RECORDS` records, `(hash, passed before it, *_values(record))`,
        in reading order. In pieces, so that neither side holds a second copy of it all."""
        yield self.testcases, self.duration
        records = self._records
        passed_first: set[int] = set()
        for bucket in self._buckets:
            passed_first |= records.keys() & bucket  # C speed: the array is iterated there
            yield bucket.tobytes()
        chunk: list[tuple[Any, ...]] = []
        for hashed, record in records.items():
            chunk.append((hashed, hashed in passed_first, *_values(record)))
            if len(chunk) == _EXPORT_RECORDS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def absorb(self, values: Iterator[Any]) -> None:
        """Take in what a folder read after this one's last testcase (its `export`), as if this
        folder had read it: the same counts and statuses as one folder reading both parts.

        Its passes go into the buckets as they are (C speed): a hash there that also has a
        record only says that the test passed at some point, which the record then knows. Its
        records and their text budgets are replayed in its reading order.
        """
        testcases, duration = next(values)
        records = self._records
        passed_later: set[int] = set()  # records here whose test passed in the later part
        for bucket in self._buckets:
            start = len(bucket)
            bucket.frombytes(next(values))
            passed_later |= records.keys() & bucket[start:]
        for chunk in values:
            for hashed, passed_first, *fields in chunk:
                if passed_first:
                    passed_later.discard(hashed)  # it is folded with its later record
                self._take(hashed, _record_of(fields), passed_first)
        for hashed in passed_later:  # passed in the later part, and nothing else there
            record = records[hashed]
            record.last = _PASS
            record.passes += 1
        self._count_more(testcases, duration)

    def _take(self, hashed: int, incoming: _Record, passed_first: bool) -> None:
        """One record of a later part: added, or folded after this folder's record of it."""
        record = self._records.get(hashed)
        if record is None:
            self._spend(incoming, fresh=True)
            self._records[hashed] = incoming  # its earlier passes are in the buckets
            return
        record.attempts += incoming.attempts
        record.seen |= incoming.seen
        if incoming.last:
            record.last = incoming.last
        elif passed_first:
            record.last = _PASS
        record.passes += incoming.passes + (1 if passed_first else 0)
        if incoming.worst > record.worst or (not record.message and not record.detail):
            record.worst = max(incoming.worst, record.worst)
            record.duration, record.line = incoming.duration, incoming.line
            if incoming.cut or not self._spend(incoming, fresh=not record.detail):
                record.cut = True  # no room for its text: the earlier text stays
            else:
                record.message, record.detail = incoming.message, incoming.detail
        if record.tier is None:
            record.tier = incoming.tier

    def _spend(self, record: _Record, fresh: bool) -> bool:
        """Charge `record`'s text to this folder's budgets, as `_texts` would have: False, and
        the text left out, when the message budget is spent; a detail past its budget is
        dropped. `fresh`: it is the first detail of its test (counted in `DETAILED_CASES`)."""
        if not record.message and not record.detail:
            return True
        if self._message_budget <= 0:
            record.message = record.detail = ""
            record.cut = True
            return False
        self._message_budget -= len(record.message)
        if record.detail:
            if self._detail_budget <= 0 or self._detailed >= DETAILED_CASES:
                record.detail = ""
            else:
                self._detail_budget -= len(record.detail)
                self._detailed += 1 if fresh else 0
        return True

    def finish(self) -> tuple[int, list[FoldedCase]]:
        """(unique passed tests incl. flaky, the non-passed unique tests in reading order).

        Consumes the folder: its buckets and records are released as they are folded.
        """
        passed = 0
        passed_first: set[int] = set()  # records whose test passed before its first non-pass
        for index, bucket in enumerate(self._buckets):
            unique = set(bucket)
            self._buckets[index] = array("q")
            mine = unique & self._records.keys()  # C speed: the smaller side is walked
            passed += len(unique) - len(mine)
            passed_first |= mine
            del unique
        cases: list[FoldedCase] = []
        records = self._records
        while records:  # last first (popitem), each record released as it is folded
            hashed, record = records.popitem()
            folded = _fold(record, hashed in passed_first)
            if folded is None:
                passed += 1  # its latest attempt that ran passed, and none failed
            else:
                if folded.status is CaseStatus.FLAKY:
                    passed += 1
                if record.cut and not record.message:
                    self.messages_cut += 1
                cases.append(folded)
        cases.reverse()  # reading order
        return passed, cases


def _values(r: _Record) -> tuple[Any, ...]:
    """Every field of a record, in the order `_record_of` takes them."""
    return (
        r.attempts, r.cut, r.detail, r.duration, r.file, r.id, r.last,
        r.line, r.message, r.name, r.passes, r.seen, r.tier, r.worst,
    )  # fmt: skip


def _record_of(values: list[Any]) -> _Record:
    """The record `_values` gave these values of."""
    r = _Record.__new__(_Record)
    (
        r.attempts, r.cut, r.detail, r.duration, r.file, r.id, r.last,
        r.line, r.message, r.name, r.passes, r.seen, r.tier, r.worst,
    ) = values  # fmt: skip
    return r


def _not_run(status: str | None, result: str | None) -> int:
    """`_SKIP` when the testcase's attributes say it did not run (see docs/junit.md)."""
    for value in (status, result):
        if value and value.strip().lower() in _NOT_RUN:
            return _SKIP
    return 0


class _Owners:
    """Cleaned, redacted class or suite names: thousands of failing tests share a few hundred."""

    def __init__(self, redact: Redact) -> None:
        self._redact = redact
        self._seen: dict[tuple[str, str], str] = {}

    def __call__(self, classname: str, suite: str) -> str:
        key = (classname, suite)
        owner = self._seen.get(key)
        if owner is None:
            owner = clean_name(classname, self._redact) or clean_name(suite, self._redact)
            if len(self._seen) < 50_000:
                self._seen[key] = owner
        return owner


def _fold(record: _Record, passed_first: bool) -> FoldedCase | None:
    """The test's status from its attempts in order (docs/junit.md, "Reruns")."""
    failed = record.seen & (_FAIL | _ERROR | _FLAKY)
    if record.last in (_FAIL, _ERROR):
        status = CaseStatus.ERROR if record.seen & _ERROR else CaseStatus.FAILED
    elif record.last == _PASS:
        if not failed:
            return None
        status = CaseStatus.FLAKY
    elif passed_first:  # passed, then only attempts that did not run
        return None
    else:
        status = CaseStatus.SKIPPED
    message = record.message
    if status is CaseStatus.FLAKY and not message.startswith("passed on retry"):
        fails = record.attempts - (1 if record.seen & _FLAKY else 0)
        message = f"failed {_times(max(1, fails))}, then passed on a rerun: {message}"
    elif status in (CaseStatus.FAILED, CaseStatus.ERROR):
        if record.passes or passed_first:
            message = f"failed in the latest attempt after passing in an earlier one: {message}"
        elif record.attempts > 1:
            message = f"failed in all {record.attempts} attempts: {message}"
    duration = record.duration
    # positional, in FoldedCase's field order (a test pins it): keywords cost 0.6 us a case
    return FoldedCase(
        record.id,
        _OUTCOME_OF[status],
        message,
        round(duration, 3) if duration else 0.0,
        record.file,
        record.line,
        record.tier,
        record.detail,
        record.name,
        status,
    )


_OUTCOME_OF = {status: status.value for status in CaseStatus}  # `.value` is a slow property


def _unnamed(key: tuple[str, str, str, str] | tuple[str, str, str, str, int]) -> str:
    """The shown name of a testcase the producer wrote no name for: `(unnamed #N)`."""
    return f"(unnamed #{key[4]})" if len(key) > 4 else "(unnamed)"


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
