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

from gate.errors import JUnitReadError
from gate.inputs import expand
from gate.junit.body import BodyWriter
from gate.junit.fold import Folder, JUnitData
from gate.junit.scan import scan_file
from gate.junit.text import Redact


def _keep(text: str) -> str:
    return text


def read_junit(
    inputs: Iterable[str | Path], *, redact: Redact = _keep, spool_dir: Path | None = None
) -> JUnitData:
    """Read and fold every JUnit file that `inputs` (files, folders, globs) expand to.

    With `spool_dir`, the body of each accepted file is kept there as text for the merged JUnit
    file (`JUnitData.spools`), so that it is never parsed twice.
    """
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
            spool = _new_spool(spool_dir) if spool_dir else None
            try:
                _read_one(path, folder, data, spool)
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
                if spool is not None:
                    data.spools[path] = spool
            finally:
                if spool is not None and path not in data.spools:
                    spool.unlink(missing_ok=True)
    data.passed, data.cases = folder.finish()
    data.testcases = folder.testcases
    data.duration_s = folder.duration
    data.nameless = folder.nameless
    data.messages_cut = folder.messages_cut
    return data


def _read_one(path: Path, folder: Folder, data: JUnitData, spool: Path | None) -> None:
    if spool is None:
        scan_file(path, folder, data.from_attributes)
        return
    with spool.open("w", encoding="utf-8") as out:
        scan_file(path, folder, data.from_attributes, tee=BodyWriter(out))


def _new_spool(folder: Path) -> Path:
    handle, name = tempfile.mkstemp(suffix=".xml", dir=folder)
    os.close(handle)
    return Path(name)
