"""One merged JUnit file for the whole gate, written as a stream.

Layout: `<testsuites name="deploy-gate">` with one `<testsuite name="SUITE">` per gate suite,
holding the suite's files as the reader saw them (decoded to UTF-8, control characters
replaced, huge values cut, an outer `<testsuites>` unwrapped: see `gate.junit.body`). Files the
reader accepted are copied from where it left their body (a byte range of the file itself, or
its spool), by the kernel when nothing is masked; any other file is read once more and left out
if it is not valid JUnit. A suite that ended `error` or `inconclusive` gets one
extra testcase (`deploy-gate` :: `policy`) carrying the reasons, so JUnit tools show why the gate
blocked even when no test failed. Count attributes on the gate's elements are unique-test counts.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TextIO

from gate.errors import JUnitReadError
from gate.inputs import expand
from gate.junit.body import Body, BodyWriter
from gate.junit.fold import AttributeCounts, Folder
from gate.junit.mask import Masker
from gate.junit.scan import scan_file
from gate.junit.source import open_regular
from gate.model import GateResult, Outcome, SuiteResult, SuiteRun

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

BodyOf = Callable[[Path], Body | None]
_CHUNK = 1 << 20


def write_merged(
    result: GateResult,
    runs: list[SuiteRun],
    path: Path,
    body_of: BodyOf,
    masker: Masker | None = None,
) -> None:
    """Write `path`. `body_of(file)` is where the reader left `file`'s body, if it accepted it.

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
            _write_suite(out, suite, files.get(suite.name, []), body_of, masker)
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
    out: TextIO, suite: SuiteResult, files: list[Path], body_of: BodyOf, masker: Masker | None
) -> None:
    t = suite.totals
    out.write(
        f'<testsuite name={_attr(suite.name)} tests="{t.tests}" failures="{t.failed}" '
        f'errors="{t.errors}" skipped="{t.skipped}" time="{suite.duration_s:.3f}">\n'
    )
    for file in files:
        found = body_of(file)
        if found is not None:
            out.flush()
            _copy_body(found, out.buffer, masker)
        else:
            text_out = io.StringIO()
            try:
                scan_file(file, Folder(lambda s: s), AttributeCounts(), tee=BodyWriter(text_out))
            except JUnitReadError:
                continue  # the result already names this file as unreadable
            text = text_out.getvalue()
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


def _copy_body(body: Body, out: BinaryIO, masker: Masker | None) -> None:
    """Bytes `body.start`..`body.end` of `body.path` appended to `out` (UTF-8 both: no decoding).

    Unmasked, the kernel copies them (`sendfile`: 161 MiB in about 0.1 s, no Python buffers);
    where it cannot (an OS without file-to-file `sendfile`), Python copies them in chunks.
    """
    with open_regular(body.path) as source:
        source.seek(body.start)
        left = body.end - body.start
        if masker is not None:
            masker.copy(_Window(source, left), out)
            return
        out.flush()
        offset = body.start
        try:
            while left > 0:
                sent = os.sendfile(out.fileno(), source.fileno(), offset, min(left, 1 << 30))
                if sent == 0:
                    break  # the file shrank: the caller checked it had not; stop, never spin
                offset, left = offset + sent, left - sent
            out.seek(0, os.SEEK_END)  # the kernel moved the descriptor: resync the buffer
        except (OSError, AttributeError):  # no file-to-file sendfile here: copy in Python
            source.seek(offset)
            window = _Window(source, left)
            while chunk := window.read(_CHUNK):
                out.write(chunk)


class _Window:
    """At most `left` bytes of `source`, read in chunks (what `Masker.copy` reads from)."""

    def __init__(self, source: BinaryIO, left: int) -> None:
        self._source = source
        self._left = left

    def read(self, size: int = -1) -> bytes:
        size = self._left if size < 0 else min(size, self._left)
        data = self._source.read(size) if size > 0 else b""
        self._left -= len(data)
        return data
