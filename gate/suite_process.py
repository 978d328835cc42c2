"""Run one check suite as a pytest subprocess: live output, a deadline, and an honest status.

The suite runs in its own process group so that a deadline kills the test process and
everything it started. Its output is redacted line by line as it arrives, shown live (prefixed
with the suite name, or folded in a `::group::` on GitHub Actions), kept in a log file and in a
short tail that becomes the detail when pytest could not run the suite.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from gate.model import RunStatus, SuiteRun
from gate.redact import Redactor

KILL_GRACE_S = 5.0
TAIL_LINES = 15
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PYTEST_EXIT = {
    2: "interrupted (collection errors or a signal)",
    3: "internal error",
    4: "usage error (bad arguments or configuration)",
}
_IMPORT_FAILED = re.compile(
    r"ImportError while (?:loading conftest|importing test module) '([^']+)'"
)
_NO_MODULE = re.compile(r"No module named '([^']+)'")
_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')
_ERROR_LINE = re.compile(r"^(?:E\s+)?(?:[\w.]+(?:Error|Exception)|Failed):\s")


@dataclass(slots=True)
class SuiteProcess:
    """What to run: the pytest arguments (after `python -m pytest`) and where things go."""

    name: str
    pytest_args: list[str]
    junit: Path
    log: Path
    timeout_s: float
    timeout_key: str  # the configuration key that sets the timeout, for the message
    python_args: list[str] = field(default_factory=list)  # before `-m pytest`, e.g. ["-P"]
    env: dict[str, str] | None = None  # the child's environment (default: this process's)
    hint: str = ""  # added to the detail of a usage error (exit 4): whose configuration it is


def run_pytest(
    spec: SuiteProcess,
    *,
    redactor: Redactor,
    stream: TextIO | None = None,
    env: dict[str, str] | None = None,
) -> tuple[SuiteRun, int | None]:
    """Run the suite; returns its `SuiteRun` and pytest's exit code (None when killed)."""
    stream = stream if stream is not None else sys.stdout
    spec.junit.parent.mkdir(parents=True, exist_ok=True)
    spec.log.parent.mkdir(parents=True, exist_ok=True)
    spec.junit.unlink(missing_ok=True)  # a stale file from an earlier run must not count
    actions = os.environ.get("GITHUB_ACTIONS") == "true"
    color = "yes" if actions or _isatty(stream) else "no"
    command = [
        sys.executable, *spec.python_args, "-m", "pytest", *spec.pytest_args,
        f"--junitxml={spec.junit}", "-q", "-p", "no:cacheprovider", f"--color={color}",
    ]  # fmt: skip
    base = env if env is not None else spec.env if spec.env is not None else os.environ
    child_env = {**base, "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    with spec.log.open("w", encoding="utf-8") as log, _Output(spec.name, stream, actions) as out:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=child_env,
            start_new_session=True,
        )
        tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES * 4)
        reader = threading.Thread(
            target=_pump, args=(process, redactor, out, log, tail), daemon=True
        )
        reader.start()
        try:
            timed_out = _wait(process, spec.timeout_s)
        except BaseException:  # Ctrl+C or a cancelled job: never leave the suite running
            _signal_group(process, signal.SIGKILL)
            raise
        reader.join(timeout=KILL_GRACE_S)
    duration = time.monotonic() - started
    run = SuiteRun(name=spec.name, duration_s=duration)
    if spec.junit.is_file():
        run.junit = [spec.junit]
    if timed_out:
        run.status = RunStatus.TIMED_OUT
        run.detail = (
            f"after {spec.timeout_s:g} s ({spec.timeout_key}); the suite and everything it "
            "started were killed" + _tail_text(tail)
        )
        return run, None
    code = process.returncode
    if code in (0, 1, 5) and spec.junit.is_file():
        return run, code
    run.status = RunStatus.CRASHED
    run.detail = _crash_detail(code, spec, tail)
    return run, code


def _wait(process: subprocess.Popen[str], timeout_s: float) -> bool:
    """Wait for the process; at the deadline kill its group. True when it was killed."""
    try:
        process.wait(timeout=timeout_s)
        return False
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()
    _signal_group(process, signal.SIGKILL)  # whatever it started and left behind
    return True


def _signal_group(process: subprocess.Popen[str], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _pump(
    process: subprocess.Popen[str],
    redactor: Redactor,
    out: _Output,
    log: TextIO,
    tail: collections.deque[str],
) -> None:
    assert process.stdout is not None
    with contextlib.suppress(ValueError, OSError):  # the pipe closed under us at a kill
        for raw in process.stdout:
            line = redactor(raw.rstrip("\r\n"))
            out.line(line)
            plain = _ANSI.sub("", line)
            log.write(plain + "\n")
            if plain.strip():
                tail.append(plain)


def _crash_detail(code: int | None, spec: SuiteProcess, tail: collections.deque[str]) -> str:
    if code is not None and code < 0:
        what = f"pytest was killed by signal {-code}"
    elif code in _PYTEST_EXIT:
        what = f"pytest could not run the suite (exit {code}: {_PYTEST_EXIT[code]})"
    elif not spec.junit.is_file():
        what = f"pytest exited with code {code} and wrote no JUnit file"
    else:
        what = f"pytest exited with unexpected code {code}"
    lines = list(tail)
    hint = f"; {spec.hint}" if spec.hint and code == 4 else ""
    return what + (_missing_import(lines) or _key_error(lines)) + hint + _tail_text(tail)


def _missing_import(lines: list[str]) -> str:
    """': tests/e2e/conftest.py imports 'stripe', which is not installed ...' from pytest's
    report of a conftest or test module that failed to import a module."""
    where = module = None
    for line in lines:
        if found := _IMPORT_FAILED.search(line):
            where = found.group(1)
        elif where and (found := _NO_MODULE.search(line)):
            module = found.group(1)
            break
    if where is None or module is None:
        return ""
    return (
        f": {where} imports {module!r}, which is not installed in the gate's environment; "
        "add the package that provides it to [e2e] requirements in the configuration, "
        "`gate run --requirements PACKAGE` or the action's `requirements` input"
    )


def _key_error(lines: list[str]) -> str:
    """': SyntaxError: invalid syntax (in tests/test_x.py, line 3)' from pytest's output."""
    for index, line in enumerate(lines):
        text = line.strip()
        if _ERROR_LINE.match(text):
            where = ""
            for earlier in reversed(lines[:index]):
                if found := _FILE_LINE.search(earlier):
                    where = f" (in {found.group(1)}, line {found.group(2)})"
                    break
            return f": {text.removeprefix('E').strip()}{where}"
    return ""


def _tail_text(tail: collections.deque[str]) -> str:
    lines = list(tail)[-TAIL_LINES:]
    return ("\nlast output:\n" + "\n".join(lines)) if lines else ""


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Output:
    """Live output of one suite: prefixed lines, or a folded group on GitHub Actions.

    On Actions, workflow commands in the suite's output (`::set-output`, `::add-mask`...) are
    switched off with `::stop-commands::`, since test output is untrusted.
    """

    def __init__(self, name: str, stream: TextIO, actions: bool) -> None:
        self._name = name
        self._stream = stream
        self._actions = actions
        self._resume = secrets.token_hex(8)
        self._lock = threading.Lock()

    def __enter__(self) -> _Output:
        if self._actions:
            self._write(f"::group::{self._name}")
            self._write(f"::stop-commands::{self._resume}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._actions:
            self._write(f"::{self._resume}::")
            self._write("::endgroup::")

    def line(self, text: str) -> None:
        self._write(text if self._actions else f"[{self._name}] {text}")

    def _write(self, text: str) -> None:
        with self._lock, contextlib.suppress(ValueError, OSError):
            self._stream.write(text + "\n")
            self._stream.flush()
