"""Safe text out of a JUnit file: the DTD guard, encoding detection and cleaning.

Why not `defusedxml.ElementTree.iterparse`: it swaps in the pure-Python `XMLParser` (a Python
call per element), while the C parser behind `xml.etree.ElementTree.XMLPullParser` has no hook to
refuse a DTD. A DTD can only appear in the prolog, before the root element, so this module reads
the prolog itself and refuses any `<!DOCTYPE` (JUnit producers never write one). Without a DTD
there are no entity declarations, so neither external entities (XXE) nor entity-expansion bombs
can exist; an undeclared `&name;` in the body is a parse error. The rest of the file then goes to
the C parser at full speed.

The text handed on is always `str`: decoded with the declared (or BOM-detected) encoding with
bad bytes replaced, raw control characters and character references to them replaced by `?`,
so files with non-UTF-8 bytes or terminal escapes in names are read instead of rejected.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gate.junit.cap import cap_runs

CHUNK = 16 * 1024  # measured: larger chunks make the C parser's event lists slower
PROLOG_LIMIT = 1 << 20

# Bytes < 0x20 other than tab, LF, CR are never valid in XML 1.0; in every ASCII-compatible
# encoding they are single bytes, so a byte-level translate (C speed) removes them.
_BYTE_TABLE = bytes(b if b >= 0x20 or b in (9, 10, 13) else 0x3F for b in range(256))
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# &#1; .. &#31; (but 9, 10, 13) and their hex forms: expat rejects them as invalid characters.
_BAD_CHARREF = re.compile(
    r"&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01])|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]));"
)
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")
_ENCODING_DECL = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class UnsafeOrUnreadable(Exception):
    """The file is refused before parsing (DTD, unknown encoding, empty, endless prolog)."""


# Codecs whose text, when nothing was replaced, encodes back to the file's bytes as UTF-8.
_UTF8_TEXT = frozenset({"utf-8", "utf-8-sig", "ascii"})


@dataclass(slots=True)
class TextFacts:
    """What `read_text` learnt about a file: whether its text is its bytes, unchanged.

    `verbatim` stays true while the text handed on is exactly the file's bytes decoded as
    UTF-8 (after `skipped` bytes of BOM): no control character, bad character reference,
    invalid byte or over-long run was replaced, and the file is UTF-8 (or ASCII). The merged
    JUnit file can then copy the file's own bytes instead of a spool of the text.
    `size` and `mtime_ns` are the file's when it was opened; `read` counts the bytes read.
    """

    verbatim: bool = True
    skipped: int = 0
    size: int = 0
    mtime_ns: int = 0
    read: int = 0

    def changed(self) -> None:
        self.verbatim = False


def read_text(
    path: Path, facts: TextFacts | None = None, *, start: int = 0, stop: int | None = None
) -> Iterator[str]:
    """Decoded, cleaned text of `path` in chunks; raises `UnsafeOrUnreadable` or `OSError`.

    With `facts`, records whether the text is the file's bytes unchanged (see `TextFacts`).
    `start` and `stop` read only bytes `start` to `stop` of a UTF-8 file, for reading one file
    in two parts (`gate.junit.split`): `start` must be the `<` of a tag (the decoder, the
    capper and the character-reference carry are then at rest) and is never the file's start.
    """
    facts = facts if facts is not None else TextFacts()
    with open_regular(path) as fh:
        info = os.fstat(fh.fileno())
        facts.size, facts.mtime_ns = info.st_size, info.st_mtime_ns
        if start:
            fh.seek(start)
            utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
            chunks = _decoded(fh, _read(fh, CHUNK, start, stop), utf8, True, facts, stop)
            yield from cap_runs(chunks, on_cut=facts.changed)
            return
        head = _read(fh, CHUNK, 0, stop)
        if not head:
            raise UnsafeOrUnreadable("the file is empty (0 bytes)")
        encoding, ascii_compatible = _detect_encoding(head)
        try:
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        except LookupError:
            raise UnsafeOrUnreadable(f"unknown encoding {encoding!r} declared") from None
        if codecs.lookup(encoding).name not in _UTF8_TEXT:
            facts.changed()
        elif head.startswith(codecs.BOM_UTF8):
            facts.skipped = len(codecs.BOM_UTF8)
        chunks = _decoded(fh, head, decoder, ascii_compatible, facts, stop)
        yield from cap_runs(_guard_prolog(chunks), on_cut=facts.changed)


def utf8_text(head: bytes) -> bool:
    """Whether a file starting with `head` is read as UTF-8 (or ASCII): its byte offsets are
    then offsets in its text's encoding, so it can be read in parts."""
    encoding, ascii_compatible = _detect_encoding(head)
    try:
        return ascii_compatible and codecs.lookup(encoding).name in _UTF8_TEXT
    except LookupError:
        return False


def _read(fh: BinaryIO, size: int, position: int, stop: int | None) -> bytes:
    """Up to `size` bytes at `position` (where `fh` is), never past `stop`."""
    return fh.read(size if stop is None else max(0, min(size, stop - position)))


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading in binary, if it is a regular file; else `UnsafeOrUnreadable`.

    Opened non-blocking first and checked with `fstat` on the open descriptor: a FIFO named
    `*.xml` would otherwise block `open` until a writer came, and a device would never end.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((what for test, what in _KINDS if test(mode)), "not a file")
            raise UnsafeOrUnreadable(f"not a regular file ({kind}); refused")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _decoded(
    fh: BinaryIO,
    head: bytes,
    decoder: codecs.IncrementalDecoder,
    ascii_compatible: bool,
    facts: TextFacts,
    stop: int | None = None,
) -> Iterator[str]:
    carry = ""
    data = head
    position = fh.tell()
    while data:
        facts.read += len(data)
        if ascii_compatible:
            clean = data.translate(_BYTE_TABLE)
            if facts.verbatim and clean != data:  # memcmp, only while it can still matter
                facts.changed()
            text = decoder.decode(clean)
            if facts.verbatim and "\ufffd" in text:  # an invalid byte (or a U+FFFD: no matter)
                facts.changed()
        else:
            text = _TEXT_CONTROL.sub("?", decoder.decode(data))
        text = carry + text
        carry = ""
        if "#" in text and "&#" in text:  # one-character search first: memchr speed
            text, carry = _split_charref_tail(text)
            text, replaced = _BAD_CHARREF.subn("?", text)
            if replaced:
                facts.changed()
        if text:
            yield text
        data = _read(fh, CHUNK, position, stop)
        position += len(data)
    tail = carry + decoder.decode(b"", final=True)
    if tail:
        if "\ufffd" in tail:  # a truncated multi-byte sequence at the very end
            facts.changed()
        tail, replaced = _BAD_CHARREF.subn("?", tail)
        if replaced:
            facts.changed()
        yield tail


def _split_charref_tail(text: str) -> tuple[str, str]:
    """Keep a character reference cut by the chunk boundary for the next chunk."""
    amp = text.rfind("&", max(0, len(text) - 12))
    if amp != -1 and ";" not in text[amp:]:
        return text[:amp], text[amp:]
    return text, ""


def _detect_encoding(head: bytes) -> tuple[str, bool]:
    """(codec name, ASCII-compatible?) from the BOM, the byte pattern or the declaration."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le", False
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be", False
    match = _ENCODING_DECL.match(head.lstrip())
    if match is None:
        return "utf-8", True
    name = match.group(1).decode("ascii").lower()
    try:
        info = codecs.lookup(name)
    except LookupError:
        return name, True
    wide = info.name.startswith(("utf-16", "utf-32"))
    return ("utf-8" if wide else info.name), True  # a "utf-16" declaration in 8-bit bytes lies


def _guard_prolog(chunks: Iterator[str]) -> Iterator[str]:
    """Pass the text through once the prolog is known to hold no DOCTYPE; refuse otherwise."""
    buffered = ""
    for chunk in chunks:
        buffered += chunk
        verdict = _prolog_verdict(buffered)
        if verdict == "more":
            if len(buffered) > PROLOG_LIMIT:
                raise UnsafeOrUnreadable("no root element in the first 1 MiB (endless prolog)")
            continue
        if verdict != "ok":
            raise UnsafeOrUnreadable(verdict)
        yield buffered
        yield from chunks
        return
    if buffered.strip():
        yield buffered  # the parser says what is wrong ("no element found", ...)
    else:
        raise UnsafeOrUnreadable("the file holds only whitespace, no XML")


def _prolog_verdict(text: str) -> str:
    """ "ok" when the root element starts before any DTD, "more" if undecided, else why not."""
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n\ufeff":
            i += 1
        if i >= n:
            return "more"
        if text.startswith("<?", i):
            end, close = text.find("?>", i), 2
        elif text.startswith("<!--", i):
            end, close = text.find("-->", i + 4), 3
        elif text.startswith("<!", i):
            if n - i < 9:
                return "more"
            what = _CONTROL_OR_SPACE.sub(" ", text[i : i + 40]).split(None, 2)[:2]
            if "html" in text[i : i + 40].lower():
                return "not JUnit XML: the file is HTML (<!DOCTYPE html>)"
            return (
                f"refused: the file declares a DTD ({' '.join(what)} ...); JUnit never has one "
                "and a DTD is how external entities and entity-expansion bombs get in"
            )
        else:
            return "ok" if text.startswith("<", i) else _not_xml(text[i])
        if end == -1:
            return "more"
        i = end + close


def _not_xml(first: str) -> str:
    if first in "{[":
        return "not JUnit XML: the file looks like JSON"
    return f"not JUnit XML: the content starts with {first!r}, not with an XML element"
