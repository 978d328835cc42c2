"""The streaming loop: one JUnit file through the C parser, each testcase handed on and cleared.

Memory stays constant: the testcases handed to the folder are removed from their suite after
each chunk of text (16 KiB) is parsed, and every finished `<testsuite>` from its own parent, so
the tree never holds more than the open suites and one chunk's testcases.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from gate.errors import JUnitReadError as JUnitReadError  # re-exported: its old home
from gate.junit.body import BodyWriter
from gate.junit.fold import AttributeCounts, Folder, local_name
from gate.junit.source import TextFacts, UnsafeOrUnreadable, read_text
from gate.junit.split import Suites, start_later_part
from gate.junit.text import clean_name

_CASE, _SUITE, _SUITES = 1, 2, 3
_KINDS = {"testcase": _CASE, "testsuite": _SUITE, "testsuites": _SUITES}


@dataclass(slots=True)
class _Open:
    element: Element
    name: str
    nested: bool = False


def scan_file(
    path: Path,
    folder: Folder,
    counts: AttributeCounts,
    tee: BodyWriter | None = None,
    facts: TextFacts | None = None,
) -> None:
    """Feed every testcase of `path` to `folder`; raise `JUnitReadError` naming the file.

    `tee`, if given, receives the text as parsed (for the merged JUnit file); `facts`, if
    given, learns whether that text is the file's bytes unchanged. A large file is read on two
    cores when it can be (`gate.junit.split`), with the same result.
    """
    before = folder.testcases
    leaves: list[dict[str, str]] = []
    facts = facts if facts is not None else TextFacts()
    try:
        scanner = Scanner(path, folder, leaves, before)
        later = None
        if tee is None or tee.measuring:  # a tee that writes text needs all of it here
            later = start_later_part(path, folder, read_later=_read_later)
        if later is None:
            _feed(scanner, read_text(path, facts), tee)
            scanner.close()
        else:
            with later:
                _feed(scanner, read_text(path, facts, stop=later.start), tee)
                part = later.result(scanner.open_suites(), scanner.case_open)
                if part is not None:  # the later part was read on the other core
                    folder.absorb(part.folded)  # the child ended well: it is all there
                    facts.verbatim = facts.verbatim and part.verbatim
                    facts.read += part.read
                    if tee is not None:
                        tee.ends_with(part.after)
            if part is None:  # it could not be: read on here, as if it had never been tried
                _feed(scanner, read_text(path, facts, start=later.start), tee)
                scanner.close()
        if tee is not None:
            tee.close()
    except UnsafeOrUnreadable as exc:
        raise JUnitReadError(f"{path}: {exc}") from None
    except ParseError as exc:
        raise JUnitReadError(f"{path}: malformed or truncated XML: {exc}") from None
    except OSError as exc:
        raise JUnitReadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if folder.testcases == before:
        for attrs in leaves:
            _count_attributes(attrs, counts)


def _read_later(
    path: Path, start: int, prefix: str, folder: Folder
) -> tuple[Suites, bool, int, str]:
    """In the child of `gate.junit.split`: `prefix` (the suites' start tags), then the file
    from `start` to its end. (suites open after `prefix`, verbatim, bytes read, text after
    the body)."""
    scanner = Scanner(path, folder, [], folder.testcases)
    measure = BodyWriter(None)
    facts = TextFacts()
    _feed(scanner, [prefix], measure)
    suites = scanner.open_suites()
    _feed(scanner, read_text(path, facts, start=start), measure)
    scanner.close()
    measure.close()
    return suites, facts.verbatim, facts.read, measure.dropped()[1]


def _feed(scanner: Scanner, texts: Iterable[str], tee: BodyWriter | None) -> None:
    for text in texts:
        if tee is not None:
            tee.write(text)
        scanner.feed(text)


class Scanner:
    """One file's parser and its open suites: text in (`feed`), testcases out to the folder.

    The hot loop lives in `feed`, on locals loaded once per 16 KiB chunk.
    """

    def __init__(
        self, path: Path, folder: Folder, leaves: list[dict[str, str]], before: int
    ) -> None:
        self._path = path
        self._folder = folder
        self._leaves = leaves
        self._before = before
        self._parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
        self._kinds = dict(_KINDS)
        self._stack: list[_Open] = []
        self._parent: Element | None = None  # the innermost open suite element
        self._suite = ""  # and its name
        self._root_seen = False
        self.case_open = False  # the last testcase event was a start (a testcase is open)

    def open_suites(self) -> list[tuple[str, str]]:
        """(tag, name) of every open suite, outermost first."""
        return [(o.element.tag, o.name) for o in self._stack]

    def feed(self, text: str) -> None:
        path, folder, add, kinds, stack = (
            self._path,
            self._folder,
            self._folder.add,
            self._kinds,
            self._stack,
        )
        parent, suite, root_seen = self._parent, self._suite, self._root_seen
        self._parser.feed(text)
        queue, error = _pending(self._parser)
        for event, element in queue:
            tag = element.tag
            if tag == "testcase":  # the hot path: a million of these, keep it short
                if parent is None:  # a testcase outside any suite, as the root
                    raise JUnitReadError(_wrong_root(path, tag))
                if event == "end":
                    add(suite, element)
                continue
            kind = kinds.get(tag)
            if kind is None:
                kind = kinds[tag] = _KINDS.get(local_name(tag), 0)
            if not root_seen:
                if kind not in (_SUITE, _SUITES):
                    raise JUnitReadError(_wrong_root(path, tag))
                root_seen = True
            if kind == _CASE:  # a namespaced testcase
                if event == "end" and parent is not None:
                    add(suite, element)
            elif kind in (_SUITE, _SUITES):
                if event == "start":
                    if stack:
                        stack[-1].nested = True
                    stack.append(_Open(element, element.get("name") or ""))
                else:
                    done = stack.pop()
                    if not done.nested and folder.testcases == self._before:
                        self._leaves.append(dict(done.element.attrib))
                    if stack:
                        del stack[-1].element[:]
                parent = stack[-1].element if stack else None
                suite = stack[-1].name if stack else ""
        for event, element in reversed(queue):  # usually the very last event
            if kinds.get(element.tag) == _CASE:
                self.case_open = event == "start"
                break
        queue.clear()
        if parent is not None:  # the testcases handed on: once per chunk, not per testcase
            del parent[:]
        self._parent, self._suite, self._root_seen = parent, suite, root_seen
        if error is not None:
            raise error

    def close(self) -> None:
        self._parser.close()


def _pending(
    parser: XMLPullParser[Element],
) -> tuple[deque[tuple[str, Element]], BaseException | None]:
    """The parser's queued events, and the parse error that ended them, if any.

    `read_events()` is a Python generator costing a resume and an `isinstance` per event;
    iterating its deque directly (then clearing it) saved about 0.15 s CPU of 2.1 s on a
    million testcases. The queue is private, so a Python without it gets the public way.
    """
    queue = getattr(parser, "_events_queue", None)
    if not isinstance(queue, deque):
        return deque(parser.read_events()), None  # type: ignore[arg-type]
    if queue and isinstance(queue[-1], BaseException):
        return queue, queue.pop()
    return queue, None


def _wrong_root(path: Path, tag: str) -> str:
    return (
        f"{path}: not a JUnit report: the root element is <{clean_name(local_name(tag))[:60]}>, "
        "expected <testsuites> or <testsuite>"
    )


def _count_attributes(attrs: dict[str, str], counts: AttributeCounts) -> None:
    """Suite attributes count only for files with no testcase at all (docs/design.md, verdicts)."""

    def number(name: str) -> int:
        try:
            return max(0, int(float(attrs.get(name) or 0)))
        except ValueError:
            return 0

    counts.tests += number("tests")
    counts.failed += number("failures")
    counts.errors += number("errors")
    counts.skipped += number("skipped") + number("disabled")
