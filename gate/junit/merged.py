"""One merged JUnit file for the whole gate, written as a stream.

Layout: `<testsuites name="deploy-gate">` with one `<testsuite name="SUITE">` per gate suite,
holding the suite's files as they were written (decoded to UTF-8 and cleaned of control
characters; an outer `<testsuites>` of a file is unwrapped, so its `<testsuite>` elements nest
inside the gate suite). Nothing is parsed twice: files the reader already accepted are copied as
text; any other file is read once more first and left out if it is not valid JUnit. A suite that
ended `error` or `inconclusive` gets one extra testcase (`deploy-gate` :: `policy`) carrying the
reasons, so JUnit tools show why the gate blocked even when no test failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import quoteattr

from gate.junit.fold import AttributeCounts, Folder
from gate.junit.inputs import expand
from gate.junit.scan import JUnitReadError, scan_file
from gate.junit.source import read_text
from gate.model import GateResult, Outcome, SuiteResult, SuiteRun

_START_SUITES = re.compile(r"""<testsuites(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?(/?)>""")
_END_SUITES = re.compile(r"</testsuites\s*>")
_TAIL = 4096


def write_merged(
    result: GateResult,
    runs: list[SuiteRun],
    path: Path,
    accepted: Callable[[Path], bool],
) -> None:
    """Write `path`; `accepted(file)` says whether the reader already read `file` without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    files = {run.name: [f for spec in run.junit for f in expand(spec).files] for run in runs}
    temp = path.with_name(f".{path.name}.tmp")
    with temp.open("w", encoding="utf-8") as out:
        totals = result.totals
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            f'<testsuites name="deploy-gate" tests="{totals.tests}" '
            f'failures="{totals.failed}" errors="{totals.errors}" skipped="{totals.skipped}" '
            f'time="{result.duration_s:.3f}">\n'
        )
        for suite in result.suites:
            _write_suite(out, suite, files.get(suite.name, []), accepted)
        out.write("</testsuites>\n")
    temp.replace(path)


def _write_suite(
    out: TextIO, suite: SuiteResult, files: list[Path], accepted: Callable[[Path], bool]
) -> None:
    t = suite.totals
    out.write(
        f'<testsuite name={quoteattr(suite.name)} tests="{t.tests}" failures="{t.failed}" '
        f'errors="{t.errors}" skipped="{t.skipped}" time="{suite.duration_s:.3f}">\n'
    )
    for file in files:
        if accepted(file) or _valid(file):
            for text in _body(file):
                out.write(text)
            out.write("\n")
    if suite.outcome in (Outcome.ERROR, Outcome.INCONCLUSIVE):
        message = quoteattr("; ".join(suite.reasons)[:2000])
        out.write(
            '<testcase classname="deploy-gate" name="policy" time="0">'
            f'<error message={message} type="deploy-gate.{suite.outcome}"/></testcase>\n'
        )
    out.write("</testsuite>\n")


def _valid(file: Path) -> bool:
    try:
        scan_file(file, Folder(lambda s: s), AttributeCounts())
    except JUnitReadError:
        return False
    return True


def _body(file: Path) -> Iterator[str]:
    """The root element of `file` as text, without prolog, an outer `<testsuites>` unwrapped."""
    chunks = read_text(file)
    head = ""
    for chunk in chunks:
        head += chunk
        start = _root_start(head)
        if start is not None:
            break
    else:
        return
    head = head[start:]
    match = _START_SUITES.match(head)
    if match is None:
        yield head
        yield from chunks
        return
    if match.group(1):  # <testsuites/>: nothing inside
        return
    pending = head[match.end() :]
    for chunk in chunks:
        pending += chunk
        if len(pending) > 2 * _TAIL:
            yield pending[:-_TAIL]
            pending = pending[-_TAIL:]
    ends = list(_END_SUITES.finditer(pending))
    yield pending[: ends[-1].start()] if ends else pending


def _root_start(text: str) -> int | None:
    """Index of the root element's `<` (comments and processing instructions skipped)."""
    i = 0
    while True:
        i = text.find("<", i)
        if i == -1 or i + 4 > len(text):
            return None
        if text.startswith("<?", i):
            end, close = text.find("?>", i), 2
        elif text.startswith("<!--", i):
            end, close = text.find("-->", i + 4), 3
        else:
            return i
        if end == -1:
            return None
        i = end + close
