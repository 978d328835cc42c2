"""A JUnit file's root element as text, ready to be nested in the merged JUnit file.

The prolog (XML declaration, comments, processing instructions) is dropped and an outer
`<testsuites>` is unwrapped, so the file's `<testsuite>` elements nest inside the gate suite's
own `<testsuite>`. The reader tees the text it parses into one of these (`gate.junit.scan`), so
the merged file is assembled later by plain copying, never by parsing a second time.
"""

from __future__ import annotations

import re
from typing import TextIO

_START_SUITES = re.compile(r"""<testsuites(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?(/?)>""")
_END_SUITES = re.compile(r"</testsuites\s*>")
_TAIL = 4096


class BodyWriter:
    """Write text chunks of one JUnit file into `out` as its root element's body; then `close`."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._head = ""
        self._root_known = False
        self._unwrap = False
        self._skip = False
        self._pending = ""

    def write(self, text: str) -> None:
        if not self._root_known:
            self._head += text
            self._find_root()
        elif self._skip:
            return
        elif not self._unwrap:
            self._out.write(text)
        else:
            self._pending += text
            if len(self._pending) > 2 * _TAIL:
                self._out.write(self._pending[:-_TAIL])
                self._pending = self._pending[-_TAIL:]

    def close(self) -> None:
        """Flush; an unwrapped `<testsuites>` loses its end tag here."""
        if self._unwrap:
            ends = list(_END_SUITES.finditer(self._pending))
            self._out.write(self._pending[: ends[-1].start()] if ends else self._pending)
            self._pending = ""

    def _find_root(self) -> None:
        start = _root_start(self._head)
        if start is None or self._head.find(">", start) == -1:
            return  # the root's start tag is not complete yet
        head, self._head, self._root_known = self._head[start:], "", True
        match = _START_SUITES.match(head)
        if match is None:
            self._out.write(head)
        elif match.group(1):
            self._skip = True  # <testsuites/>: nothing inside
        else:
            self._unwrap = True
            self.write(head[match.end() :])


def _root_start(text: str) -> int | None:
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
