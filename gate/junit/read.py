"""`read_junit`: every file, folder and glob of a suite, read streaming and folded.

Each file is read with the safe streaming scanner (`gate.junit.scan`) and its tests folded into
unique tests (`gate.junit.fold`). Nothing here raises for bad input: a missing path or an
unreadable file becomes a sentence in `JUnitData.errors` naming it, and the other files are
still read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from gate.collector import collector_paused
from gate.errors import JUnitReadError
from gate.inputs import expand
from gate.junit.body import Body, BodyWriter
from gate.junit.fold import Folder, JUnitData
from gate.junit.scan import scan_file
from gate.junit.source import TextFacts, UnsafeOrUnreadable, read_text
from gate.junit.text import Redact


def _keep(text: str) -> str:
    return text


def read_junit(
    inputs: Iterable[str | Path], *, redact: Redact = _keep, spool_dir: Path | None = None
) -> JUnitData:
    """Read and fold every JUnit file that `inputs` (files, folders, globs) expand to.

    With `spool_dir`, where each accepted file's body lies is kept for the merged JUnit file
    (`JUnitData.bodies`), so that it is never parsed twice: a byte range of the file itself when
    its text needed no cleaning (most files), else a spool of the cleaned text in `spool_dir`.
    """
    with collector_paused():  # see gate.collector: reading makes no reference cycle
        return _read_all(inputs, redact, spool_dir)


def _read_all(inputs: Iterable[str | Path], redact: Redact, spool_dir: Path | None) -> JUnitData:
    data = JUnitData()
    folder = Folder(redact)
    seen: set[Path] = set()
    for spec in inputs:
        found = expand(spec)
        data.errors.extend(redact(e) for e in found.errors)
        for path in found.files:
            key = path.resolve()
            if key in seen:
                continue  # the same file through two inputs is one report, not a rerun
            seen.add(key)
            try:
                body = _read_one(path, folder, data, spool_dir)
            except JUnitReadError as exc:
                # our words, the path and <= 60 chars of the file: a path or a root tag can still
                # carry a secret, and the redactor keeps expat's "unclosed token: line 6" readable
                data.errors.append(redact(str(exc)))
            except Exception as exc:  # fail closed: an unexpected reader failure is an error
                data.errors.append(
                    redact(f"{path}: internal error while reading: {type(exc).__name__}: {exc}")
                )
            else:
                data.files.append(path)
                if body is not None:
                    data.bodies[path] = body
    data.passed, data.cases = folder.finish()
    data.testcases = folder.testcases
    # to the microsecond: a file read on two cores sums its times in two parts, which can
    # differ from one running sum in the last binary digit (JUnit times are milliseconds)
    data.duration_s = round(folder.duration, 6)
    data.nameless = folder.nameless
    data.messages_cut = folder.messages_cut
    return data


def _read_one(path: Path, folder: Folder, data: JUnitData, spool_dir: Path | None) -> Body | None:
    if spool_dir is None:
        scan_file(path, folder, data.from_attributes)
        return None
    facts = TextFacts()
    measure = BodyWriter(None)
    scan_file(path, folder, data.from_attributes, tee=measure, facts=facts)
    if facts.verbatim and facts.read == facts.size:
        before, after, empty = measure.dropped()
        start = facts.skipped + len(before.encode("utf-8"))
        end = start if empty else facts.size - len(after.encode("utf-8"))
        return Body(path, start, max(start, end), False, facts.size, facts.mtime_ns)
    return _spool(path, spool_dir, facts)


def _spool(path: Path, folder: Path, facts: TextFacts) -> Body | None:
    """The cleaned text's body written to a spool: a second pass over the text, not parsed.

    Only files that needed cleaning get here (control characters, non-UTF-8 encodings, cut
    runs). A file that changed since it was parsed gets no spool (None): the merged file then
    reads it once more and leaves it out if it is no longer valid.
    """
    handle, name = tempfile.mkstemp(suffix=".xml", dir=folder)
    spool = Path(name)
    again = TextFacts()
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            writer = BodyWriter(out)
            for text in read_text(path, again):
                writer.write(text)
            writer.close()
    except (OSError, UnsafeOrUnreadable):
        spool.unlink(missing_ok=True)
        return None
    if (again.size, again.mtime_ns, again.read) != (facts.size, facts.mtime_ns, facts.read):
        spool.unlink(missing_ok=True)
        return None
    return Body(spool, 0, spool.stat().st_size, True, facts.size, facts.mtime_ns)
