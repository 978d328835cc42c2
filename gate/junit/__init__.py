"""Reading JUnit XML from any producer, streaming, into what the policy needs.

`read_junit(inputs, redact=...)` takes files, folders and globs, reads every file with the
safe streaming scanner (`gate.junit.scan`), folds reruns into unique tests (`gate.junit.fold`)
and returns a `JUnitData`. Nothing here raises for bad input: a missing path or an unreadable
file becomes a sentence in `JUnitData.errors` naming it, and the other files are still read.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gate.junit.fold import AttributeCounts, FoldedCase, Folder, JUnitData, case_id
from gate.junit.inputs import expand, suite_name_for
from gate.junit.scan import JUnitReadError, scan_file
from gate.junit.text import Redact

__all__ = [
    "AttributeCounts",
    "FoldedCase",
    "JUnitData",
    "case_id",
    "expand",
    "read_junit",
    "suite_name_for",
]


def _keep(text: str) -> str:
    return text


def read_junit(inputs: Iterable[str | Path], *, redact: Redact = _keep) -> JUnitData:
    """Read and fold every JUnit file that `inputs` (files, folders, globs) expand to."""
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
                scan_file(path, folder, data.from_attributes)
            except JUnitReadError as exc:
                data.errors.append(redact(str(exc)))
            except Exception as exc:  # fail closed: an unexpected reader failure is an error
                data.errors.append(
                    redact(f"{path}: internal error while reading: {type(exc).__name__}: {exc}")
                )
            else:
                data.files.append(path)
    data.passed, data.cases = folder.finish()
    data.testcases = folder.testcases
    data.duration_s = folder.duration
    return data
