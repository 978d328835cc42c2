"""One merged JUnit file for the whole gate, written as a stream.

Layout: `<testsuites name="deploy-gate">` with one `<testsuite name="SUITE">` per gate suite,
holding the suite's files as the reader saw them (decoded to UTF-8, control characters
replaced, huge values cut, an outer `<testsuites>` unwrapped: see `gate.junit.body`). Files the
reader accepted come from its spool and are copied as they are; any other file is read once more
and left out if it is not valid JUnit. A suite that ended `error` or `inconclusive` gets one
extra testcase (`deploy-gate` :: `policy`) carrying the reasons, so JUnit tools show why the gate
blocked even when no test failed. Count attributes on the gate's elements are unique-test counts.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from gate.errors import JUnitReadError
from gate.inputs import expand
from gate.junit.body import BodyWriter
from gate.junit.fold import AttributeCounts, Folder
from gate.junit.mask import Masker
from gate.junit.scan import scan_file
from gate.model import GateResult, Outcome, SuiteResult, SuiteRun

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Spool = Callable[[Path], Path | None]


def write_merged(
    result: GateResult, runs: list[SuiteRun], path: Path, spool: Spool, masker: Masker | None = None
) -> None:
    """Write `path`. `spool(file)` is the reader's copy of `file`'s body, if it accepted it.

    With `masker`, the configured secret values are masked in everything copied from the files.
    """
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
            _write_suite(out, suite, files.get(suite.name, []), spool, masker)
        out.write("</testsuites>\n")
    temp.replace(path)


def _attr(value: str) -> str:
    """A double-quoted XML attribute value (what `xml.sax.saxutils.quoteattr` does, without
    importing urllib with it)."""
    value = _CONTROL.sub("?", value)
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        value = value.replace(raw, escaped)
    return '"' + value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"'


def _write_suite(
    out: TextIO, suite: SuiteResult, files: list[Path], spool: Spool, masker: Masker | None
) -> None:
    t = suite.totals
    out.write(
        f'<testsuite name={_attr(suite.name)} tests="{t.tests}" failures="{t.failed}" '
        f'errors="{t.errors}" skipped="{t.skipped}" time="{suite.duration_s:.3f}">\n'
    )
    for file in files:
        spooled = spool(file)
        if spooled is not None:
            out.flush()
            with spooled.open("rb") as source:  # UTF-8 both: copy bytes, no decoding
                if masker is not None:
                    masker.copy(source, out.buffer)
                else:
                    shutil.copyfileobj(source, out.buffer, 1 << 20)
        else:
            body = io.StringIO()
            try:
                scan_file(file, Folder(lambda s: s), AttributeCounts(), tee=BodyWriter(body))
            except JUnitReadError:
                continue  # the result already names this file as unreadable
            text = body.getvalue()
            if masker is not None:
                text = masker.mask(text.encode("utf-8")).decode("utf-8")
            out.write(text)
        out.write("\n")
    if suite.outcome in (Outcome.ERROR, Outcome.INCONCLUSIVE):
        message = _attr("; ".join(suite.reasons)[:2000])
        out.write(
            '<testcase classname="deploy-gate" name="policy" time="0">'
            f'<error message={message} type="deploy-gate.{suite.outcome}"/></testcase>\n'
        )
    out.write("</testsuite>\n")
