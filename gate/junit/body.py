"""A JUnit file's root element as text, ready to be nested in the merged JUnit file.

The prolog (XML declaration, comments, processing instructions) is dropped and an outer
`<testsuites>` is unwrapped, so the file's `<testsuite>` elements nest inside the gate suite's
own `<testsuite>`. The reader tees the text it parses into one of these (`gate.junit.scan`), so
the merged file is assembled later by plain copying, never by parsing a second time.

Most files need no cleaning: their text is their bytes. For those the writer only measures
(no output): the body is then a byte range of the input file itself (`Body`), copied by the
kernel into the merged file, and the file's text is never written out a second time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

_START_SUITES = re.compile(r"""<testsuites(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?(/?)>""")
_END_SUITES = re.compile(r"</testsuites\s*>")
_TAIL = 4096


@dataclass(frozen=True, slots=True)
class Body:
    """Where a JUnit file's body is: bytes `start` to `end` of `path`, UTF-8.

    `path` is the input file itself when its text needed no cleaning, else a spool of the
    cleaned text (`owned`: a temporary file, removed with the decision that made it).
    `size` and `mtime_ns` are the input's when it was read: the body is only used while the
    input is still as it was then.
    """

    path: Path
    start: int
    end: int
    owned: bool
    size: int
    mtime_ns: int


class BodyWriter:
    """Write text chunks of one JUnit file into `out` as its root element's body; then `close`.

    Without `out` it writes nothing and only measures: `dropped()` then says how much text
    before and after the body is left out, so that the body can be found in the file itself.
    """

    def __init__(self, out: TextIO | None) -> None:
        self._out = out
        self._head = ""
        self._root_known = False
        self._unwrap = False
        self._skip = False
        self._pending = ""
        self._before = ""  # the text left out before the body (prolog, unwrapped start tag)
        self._after = ""  # and after it (an unwrapped end tag and what follows it)

    def write(self, text: str) -> None:
        if not self._root_known:
            self._head += text
            self._find_root()
        elif self._skip:
            return
        elif not self._unwrap:
            if self._out is not None:
                self._out.write(text)
        else:
            self._pending += text
            if len(self._pending) > 2 * _TAIL:
                if self._out is not None:
                    self._out.write(self._pending[:-_TAIL])
                self._pending = self._pending[-_TAIL:]

    @property
    def measuring(self) -> bool:
        """Whether this writer only measures (writes no text)."""
        return self._out is None

    def ends_with(self, after: str) -> None:
        """The rest of the file was read elsewhere (`gate.junit.split`): `after` is the text
        after the body there, and this writer's own tail is not the file's."""
        self._unwrap = False
        self._pending = ""
        self._after = after

    def close(self) -> None:
        """Flush; an unwrapped `<testsuites>` loses its end tag here."""
        if self._unwrap:
            ends = list(_END_SUITES.finditer(self._pending))
            cut = ends[-1].start() if ends else len(self._pending)
            if self._out is not None:
                self._out.write(self._pending[:cut])
            self._after = self._pending[cut:]
            self._pending = ""

    def dropped(self) -> tuple[str, str, bool]:
        """(text before the body, text after it, the body is empty), once closed."""
        return self._before, self._after, self._skip or not self._root_known

    def _find_root(self) -> None:
        start = root_start(self._head)
        if start is None or self._head.find(">", start) == -1:
            return  # the root's start tag is not complete yet
        self._before = self._head[:start]
        head, self._head, self._root_known = self._head[start:], "", True
        match = _START_SUITES.match(head)
        if match is None:
            if self._out is not None:
                self._out.write(head)
        elif match.group(1):
            self._skip = True  # <testsuites/>: nothing inside
        else:
            self._unwrap = True
            self._before += head[: match.end()]
            self.write(head[match.end() :])


def root_start(text: str) -> int | None:
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
