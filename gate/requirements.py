"""Packages a user's E2E tests import, installed into the gate's own environment before a run.

The gate runs in its own virtualenv (the action's, or wherever `gate` was installed), so an E2E
test that imports the user's SDK or `pyjwt` needs it installed there. Entries are requirement
specifiers (`pyjwt>=2`) or requirements files (an entry ending in `.txt`/`.in`, or naming an
existing file). The installer is uv when it is next to the gate's Python or on PATH (about ten
times faster), else pip. An install is recorded in the environment by the hash of its input
(entries and file contents), so the same requirements are installed once per environment.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gate.errors import UsageError

MARKERS = Path(sys.prefix) / "deploy-gate-requirements"
INSTALL_TIMEOUT_S = 900
_FILE_SUFFIXES = (".txt", ".in")
_NOT_FOUND = (
    re.compile(r"No matching distribution found for (\S+)"),  # pip
    re.compile(r"Could not find a version that satisfies the requirement (\S+)"),  # pip
    re.compile(r"Because (\S+) was not found in the package registry"),  # uv
    re.compile(r"Because there are no versions of (\S+)"),  # uv
    re.compile(r"Invalid requirement: '([^']+)'"),  # pip
    re.compile(r"Failed to parse: `([^`]+)`"),  # uv
)


@dataclass(frozen=True, slots=True)
class Requirements:
    """What to install: `entries` as given, and where they came from (for messages)."""

    entries: tuple[str, ...]
    base: Path  # relative files are found here
    origin: str  # "--requirements", "gate.toml: key 'e2e.requirements'", ...


def install(wanted: Sequence[Requirements], stream: TextIO | None = None) -> None:
    """Install every entry of `wanted` into this Python's environment, once per content hash.

    A missing requirements file or a package that cannot be installed is a `UsageError`
    (exit 2) naming it.
    """
    stream = stream if stream is not None else sys.stderr
    args: list[str] = []
    digest = hashlib.sha256(sys.version.encode())
    for group in wanted:
        for entry in group.entries:
            file = _as_file(entry, group)
            if file is None:
                args.append(entry)
                digest.update(b"spec\0" + entry.encode() + b"\0")
            else:
                args += ["-r", str(file)]
                digest.update(b"file\0" + file.read_bytes() + b"\0")
    if not args:
        return
    marker = MARKERS / digest.hexdigest()[:24]
    shown = " ".join(a for a in args if a != "-r")
    if marker.is_file():
        print(f"gate: requirements already installed: {shown}", file=stream, flush=True)
        return
    command, tool = _installer()
    print(f"gate: installing requirements with {tool}: {shown}", file=stream, flush=True)
    try:
        done = subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(
            f"installing {shown} with {tool} took more than {INSTALL_TIMEOUT_S} s"
        ) from None
    if done.returncode != 0:
        raise UsageError(_failure(wanted, tool, done.stdout + done.stderr))
    _record(marker, args, shown)


def _record(marker: Path, args: list[str], shown: str) -> None:
    """Note the install in the environment, so the next run skips it.

    An environment the gate cannot write to (a read-only image, another user's venv) is a usage
    error naming the folder, not a traceback.
    """
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("\n".join(args) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"installed {shown}, but cannot record the install in {marker.parent}: "
            f"{exc.strerror or exc}; the gate's environment ({sys.prefix}) must be writable "
            "by this user for --requirements (or install the packages into it beforehand and "
            "drop --requirements)"
        ) from None


def _as_file(entry: str, group: Requirements) -> Path | None:
    path = (group.base / entry).resolve()
    if path.is_file():
        return path
    if entry.endswith(_FILE_SUFFIXES):
        raise UsageError(f"{group.origin}: requirements file {entry!r} does not exist ({path})")
    return None


def _installer() -> tuple[list[str], str]:
    """uv beside this Python (the action installs it there) or on PATH, else pip."""
    beside = Path(sys.executable).with_name("uv")
    uv = str(beside) if beside.is_file() else shutil.which("uv")
    if uv:
        return [uv, "pip", "install", "--python", sys.executable], "uv"
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"], "pip"
    raise UsageError(
        f"cannot install requirements: neither uv nor pip is available for {sys.executable}; "
        "install uv (pip install uv) or create the environment with pip"
    )


def _failure(wanted: Sequence[Requirements], tool: str, output: str) -> str:
    names = []
    for pattern in _NOT_FOUND:
        names += [m.rstrip(".,;") for m in pattern.findall(output) if m not in names]
    origins = ", ".join(dict.fromkeys(g.origin for g in wanted))
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    tail = "\n".join(lines[-8:])
    if names:
        return (
            f"{origins}: {tool} could not install {', '.join(dict.fromkeys(names))}: check the "
            f"name and version (is it on the package index?)\n{tail}"
        )
    return f"{origins}: {tool} could not install the requirements:\n{tail}"
