"""Configured secret values masked in the JUnit files the gate writes out (copies, merged file).

The reader redacts what it reports, but `junit/SUITE.xml` copies and `junit/merged.xml` carry
every test name and message of the inputs, passed ones included; a parametrised test id can
hold a token. Those files are streamed through one compiled pattern of the configured values,
and only when there are any (no configured value: plain copies at disk speed).

The match is on bytes, so a copy keeps its encoding byte for byte apart from the masks: each
value is looked for as UTF-8 (what ASCII-compatible encodings share for ASCII values), as
UTF-16 in both byte orders (files written in UTF-16), and XML-escaped (`a&b` is `a&amp;b` in an
attribute). A value written with character references (`&#104;unter2`) is not recognised in
the copies; the reader's reports, which see the parsed text, still mask it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from gate.junit.source import open_regular
from gate.redact import MASK

CHUNK = 1 << 20
_XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&apos;"))
_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
MIN_LENGTH = 4  # as `gate.redact.Redactor`: shorter values are not masked


class Readable(Protocol):
    """Anything with `read(size) -> bytes` (a binary file, a window of one)."""

    def read(self, size: int = -1, /) -> bytes: ...


class Masker:
    """Copies byte streams with every configured value replaced by `***`."""

    def __init__(self, values: Iterable[str]) -> None:
        forms: dict[bytes, bytes] = {}
        for value in {v for v in values if v and len(v) >= MIN_LENGTH}:
            for text in {value, _xml_escaped(value)}:
                for encoding in _ENCODINGS:
                    forms[text.encode(encoding)] = MASK.encode(encoding)
        ordered = sorted(forms, key=len, reverse=True)  # the longest form wins at a position
        self._forms = forms
        self._pattern = re.compile(b"|".join(re.escape(f) for f in ordered)) if ordered else None
        self._longest = len(ordered[0]) if ordered else 0

    @classmethod
    def for_values(cls, values: Iterable[str]) -> Masker | None:
        """A masker, or None when no value is long enough to be masked."""
        masker = cls(values)
        return masker if masker._pattern is not None else None

    def mask(self, data: bytes) -> bytes:
        """`data` with every form of every value masked (a whole text, no chunk boundary)."""
        if self._pattern is None:
            return data
        return self._pattern.sub(lambda m: self._forms[m.group()], data)

    def copy(self, source: Readable, target: BinaryIO) -> None:
        """Stream `source` into `target`, masked; a value cut by a chunk boundary is found."""
        if self._pattern is None:
            while chunk := source.read(CHUNK):
                target.write(chunk)
            return
        keep = self._longest - 1  # bytes held back: a value may start in them
        carry = b""
        while True:
            chunk = source.read(CHUNK)
            data = carry + chunk
            final = not chunk
            safe = len(data) if final else max(0, len(data) - keep)
            pos = 0
            for match in self._pattern.finditer(data):
                if match.start() >= safe:
                    break
                target.write(data[pos : match.start()])
                target.write(self._forms[match.group()])
                pos = match.end()
            cut = max(pos, safe)
            target.write(data[pos:cut])
            carry = data[cut:]
            if final:
                return

    def copy_file(self, source: Path, target: Path) -> None:
        """`source` copied to `target` (written to a temporary name, then renamed), masked.

        Raises `OSError`, or `UnsafeOrUnreadable` for a FIFO or device (never blocks on one).
        """
        temp = target.with_name(f".{target.name}.tmp")
        with open_regular(source) as src, temp.open("wb") as dst:
            self.copy(src, dst)
        temp.replace(target)


def _xml_escaped(value: str) -> str:
    for raw, escaped in _XML_ESCAPES:
        value = value.replace(raw, escaped)
    return value
