"""Turning the paths, folders and globs a user gave into files (JUnit), or into named errors.

Shared by the runner (`--junit`) and the JUnit reader, so both read a path the same way.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

_GLOB_CHARS = frozenset("*?[")


@dataclass(slots=True)
class Inputs:
    """The files one input expands to, and what was wrong with it (one sentence each)."""

    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def is_glob(spec: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in spec)


def expand(spec: str | Path) -> Inputs:
    """Files for one input: a file, a folder (every `*.xml` below it) or a glob (`**` works).

    A missing path, a glob matching nothing and a folder without XML are errors, never an
    empty list: a gate that silently reads nothing would pass on no evidence.
    """
    text = str(spec)
    found = Inputs()
    if is_glob(text):
        matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
        files = [p for p in matches if not p.is_dir()]  # a FIFO too: the reader refuses it
        for folder in (p for p in matches if p.is_dir()):
            files.extend(sorted(folder.rglob("*.xml")))
        if not files:
            found.errors.append(f"{text}: the glob matched no file")
        found.files = files
        return found
    path = Path(text)
    if path.is_dir():
        # not only regular files: a FIFO or device named *.xml is refused by the reader, by name
        found.files = sorted(p for p in path.rglob("*.xml") if not p.is_dir())
        if not found.files:
            found.errors.append(f"{text}: the folder contains no *.xml file")
    elif path.exists():
        found.files = [path]
    else:
        found.errors.append(f"{text}: no such file or folder")
    return found


def suite_name_for(spec: str | Path) -> str:
    """The suite name `gate report` gives an input: file stem, folder name, or a glob's folder."""
    text = str(spec).rstrip("/\\") or str(spec)
    if is_glob(text):
        parts = Path(text).parts
        fixed = list(parts[: next(i for i, p in enumerate(parts) if is_glob(p))])
        base = Path(*fixed) if fixed else Path.cwd()
        return _name_of(base)
    path = Path(text)
    if path.is_dir():
        return _name_of(path)
    return path.stem or _name_of(path)


def _name_of(path: Path) -> str:
    name = path.name or path.resolve().name
    return name or "junit"
