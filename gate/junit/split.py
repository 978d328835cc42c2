"""One large JUnit file read on two cores: its first half here, its second in a child process.

Parsing is the reader's cost and it is single-threaded (the C parser holds the GIL), so a
161 MiB report with 90,000 failures took twice the minimal parsing loop's time on one core.
Read in two halves at once it takes a little more than half.

How, and why the result is always the one a single reader gets:

1. The split point S is the first `<testcase` start at or after the middle of the file.
2. A forked child checks that S is not inside a comment, CDATA section or processing
   instruction (the last opener of each before S must be closed before S), guesses the suites
   open at S (the root's start tag, and the last `<testsuite` start tag before S), parses those
   start tags followed by the bytes from S to the end with a folder of its own, and writes to
   a temporary file what it folded (`Folder.export`), the suites it assumed open, and what it
   learnt of the text. It declines when a test there failed, erred or was skipped more than
   once, or had no name (`Folder.folds_alone`): which attempt's text such a test keeps, and
   how unnamed tests are numbered, depend on what came before S.
3. Meanwhile this process parses bytes 0 to S. It takes the child's part (`Folder.absorb`)
   only if it ended at S with no testcase open and exactly the suites the child assumed, and
   the child parsed to the end of the file without an error; the parser proves the rest (a
   `<testcase` inside an element the child did not know of ends in a mismatched tag there).
4. Otherwise, or if the child failed or declined for any reason, this process reads on from S
   itself, exactly as if no split had been tried (costing the wall time of one reader).

Only for a UTF-8 (or ASCII) file of at least `SPLIT_BYTES`, when this process may use two CPUs,
has no other thread (a fork copies only the calling thread) and the platform can fork.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from gate.junit.body import root_start
from gate.junit.fold import Folder
from gate.junit.source import CHUNK, UnsafeOrUnreadable, open_regular, utf8_text

SPLIT_BYTES = 32 << 20  # smaller files are read in well under a second on one core
_HEAD = 1 << 20  # the root element starts within the first MiB (the prolog limit)
_START_TAG = re.compile(r"""<([^\s/>]+)(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?>""")
_SECTIONS = ((b"!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
_WINDOW = 1 << 20
_TESTCASE_START = re.compile(rb"<testcase[\s>]")

Suites = list[tuple[str, str]]  # (tag, name) of each open suite, outermost first
ReadLater = Callable[[Path, int, str, Folder], tuple[Suites, bool, int, str]]


@dataclass(frozen=True, slots=True)
class Later:
    """What the child read from S to the end of the file."""

    suites: Suites  # the suites it assumed open at S
    verbatim: bool  # its text was its bytes unchanged
    read: int  # bytes it read
    after: str  # the text after the body (an unwrapped `</testsuites>` and what follows)
    folded: Iterator[Any]  # its folder's `export`, for `Folder.absorb`


def start_later_part(path: Path, folder: Folder, *, read_later: ReadLater) -> LaterRead | None:
    """Fork a child reading `path` from its split point on, or None where none is tried.

    `read_later(path, start, prefix, folder)` is what the child runs (`gate.junit.scan`):
    it parses `prefix` (the suites' start tags) and the file from `start`, into `folder`,
    and returns the suites it saw open after `prefix`, whether the text was verbatim, the
    bytes it read and the text after the body.
    """
    if not _may_fork():
        return None
    try:
        if os.stat(path).st_size < SPLIT_BYTES:  # most files: no open, no read
            return None
        start = _split_point(path)
    except (OSError, ValueError, UnsafeOrUnreadable):
        return None  # the reader says what is wrong with it
    if start is None:
        return None
    # the child's part: on disk, not in either's memory; closed by LaterRead.__exit__
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            if _read_in_child(path, start, folder.later_part(), read_later, spool):
                spool.flush()
                code = 0
        finally:
            os._exit(code)
    return LaterRead(pid, spool, start)


class LaterRead:
    """The child reading the file's second half; `result` waits for it (and reaps it)."""

    def __init__(self, pid: int, spool: BinaryIO, start: int) -> None:
        self.start = start
        self._pid = pid
        self._spool = spool
        self._reaped = False

    def result(self, suites_here: Suites, case_open: bool) -> Later | None:
        """The child's part if it can be taken (see the module's step 3), else None.

        Its records are read from the spool as `Folder.absorb` takes them: use them before
        leaving the `with` block, which closes the spool.
        """
        _, status = os.waitpid(self._pid, 0)
        self._reaped = True
        if status != 0:
            return None
        self._spool.seek(0)
        later = _load(self._spool)
        if later is None or case_open or later.suites != suites_here:
            return None
        return later

    def __enter__(self) -> LaterRead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Done, failed or interrupted: the spool is closed, the child never left behind."""
        self._spool.close()
        if not self._reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._reaped = True


def _may_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1 and _usable_cpus() >= 2


def _usable_cpus() -> int:
    """CPUs this process may run on (a container's or `taskset`'s limit included)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _split_point(path: Path) -> int | None:
    """The first `<testcase` start at or after the middle of a large UTF-8 file, or None."""
    with open_regular(path) as fh:  # never blocks on a FIFO (it is refused: no split)
        info = os.fstat(fh.fileno())
        if info.st_size < SPLIT_BYTES:
            return None
        if not utf8_text(fh.read(CHUNK)):
            return None
        position = info.st_size // 2
        while position < info.st_size:
            fh.seek(position)
            window = fh.read(_WINDOW + 16)
            at = _TESTCASE_START.search(window)
            if at is not None:
                return position + at.start()
            position += _WINDOW
        return None


def _read_in_child(
    path: Path, start: int, folder: Folder, read_later: ReadLater, out: BinaryIO
) -> bool:
    """The child's work: checks, guess, parse, then its part into `out`; False: declined."""
    with open_regular(path) as fh:
        last = _last_before(fh, start)
        head = fh.read(_HEAD) if fh.seek(0) == 0 else b""
        if not _outside_sections(last, start):
            return False
        prefix = _open_suites_text(fh, head, last[b"<testsuite"])
    if prefix is None:
        return False
    suites, verbatim, read, after = read_later(path, start, prefix, folder)
    if not folder.folds_alone():
        return False  # see Folder.folds_alone: this process reads on, exactly
    marshal.dump((suites, verbatim, read, after), out)
    for value in folder.export():
        marshal.dump(value, out)
    marshal.dump(None, out)
    return True


def _last_before(fh: BinaryIO, start: int) -> dict[bytes, int]:
    """Where each needle (section openers and closers, `<testsuite` starts) last occurs before
    `start` (-1: nowhere), read backwards in windows (a mapped file would count 80 MiB more in
    this process's memory)."""
    needles = {needle for pair in _SECTIONS for needle in pair} | {b"<testsuite"}
    found = dict.fromkeys(needles, -1)
    overlap = max(len(n) for n in needles) + 1
    end = start
    while end > 0 and any(at == -1 for at in found.values()):
        begin = max(0, end - _WINDOW)
        lead = min(begin, overlap)  # so that a "<" just before the window is seen too
        fh.seek(begin - lead)
        window = fh.read(min(end + overlap, start) - begin + lead)
        for needle in needles:
            if found[needle] == -1:
                found[needle] = _rfind(window, needle, begin - lead)
        end = begin
    return found


def _rfind(window: bytes, needle: bytes, offset: int) -> int:
    """The last real occurrence of `needle` in `window` (file offset), or -1."""
    at = window.rfind(needle)
    while at != -1 and not _real(window, needle, at):
        at = window.rfind(needle, 0, at)
    return at if at == -1 else offset + at


def _real(window: bytes, needle: bytes, at: int) -> bool:
    if needle == b"!--":  # searched without its "<": a fast search, then the "<" checked
        return at > 0 and window[at - 1 : at] == b"<"
    if needle == b"<testsuite":  # not <testsuites
        return window[at + 10 : at + 11] in (b" ", b"\t", b"\r", b"\n", b">")
    return True


def _outside_sections(last: dict[bytes, int], start: int) -> bool:
    """Whether `start` is outside every comment, CDATA section and processing instruction.

    The last opener of each kind before `start` must be closed before it: a section open at
    `start` began at the last opener of its kind (a comment cannot hold `<!--`; a CDATA
    section or PI can hold its opener's text, which is then the last one, and unclosed too).
    """
    return all(last[opener] == -1 or last[closer] > last[opener] for opener, closer in _SECTIONS)


def _open_suites_text(fh: BinaryIO, head_bytes: bytes, suite_at: int) -> str | None:
    """The start tags of the suites guessed open at the split point: the root's, then the
    last `<testsuite` before it (when it is not the root). None when there is no such guess."""
    head = head_bytes.decode("utf-8", "replace")
    root = _root_tag(head)
    if root is None or suite_at == -1:
        return None
    root_at, root_name, root_text = root
    if root_name not in ("testsuite", "testsuites"):
        return None
    if suite_at == len(head[:root_at].encode("utf-8")):
        return root_text
    fh.seek(suite_at)
    tag = _START_TAG.match(fh.read(_HEAD).decode("utf-8", "replace"))
    if tag is None or tag.group(1) != "testsuite" or tag.group(0).endswith("/>"):
        return None
    return root_text + tag.group(0)


def _root_tag(head: str) -> tuple[int, str, str] | None:
    """(index, name, text) of the root element's start tag in the file's first characters."""
    at = root_start(head)
    tag = None if at is None else _START_TAG.match(head, at)
    if at is None or tag is None or tag.group(0).endswith("/>"):
        return None
    return at, tag.group(1), tag.group(0)


def _load(source: BinaryIO) -> Later | None:
    """The child's part, read as the folder absorbs it (one piece of records at a time)."""
    try:
        # written by our own forked child into a file only the two processes hold: trusted
        suites, verbatim, read, after = marshal.load(source)  # noqa: S302
    except (EOFError, ValueError, TypeError):
        return None
    pieces: Iterator[Any] = iter(lambda: marshal.load(source), None)  # noqa: S302
    return Later([tuple(s) for s in suites], bool(verbatim), int(read), str(after), pieces)
