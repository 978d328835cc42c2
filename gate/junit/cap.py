"""Cutting huge text runs out of the XML text stream before the parser sees them.

A 50 MB failure message would otherwise be held whole by the parser (and, as an attribute,
rescanned by expat 2.5 on every chunk fed: quadratic, minutes). Any attribute value, text,
CDATA section or comment longer than `cap` characters is cut: its first `cap` characters are
kept, then "[truncated N chars]", then the document goes on from the end of that value, text,
section or comment, so it stays well-formed and the reader's own bounds apply to what remains.

Cost: a few `find` calls per 16 KiB chunk (C speed) while nothing is long; the small scanner
below runs only on the rare stretch that passes the cap, and per CDATA section or comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Iterator

CAP = 1 << 20
_HOLD = 9  # characters held back so that "<![CDATA[", "]]>" or "-->" is never split

_START, _TAG, _TEXT, _DQ, _SQ, _CDATA, _COMMENT, _PI = range(8)
_DROP_UNTIL = {_DQ: '"', _SQ: "'", _TEXT: "<"}
_TAG_STOP = re.compile("[\"'>]")
_SPECIAL = re.compile("[<\\]-]")
_PREFIXES = tuple(
    token[:k] for token in ("<![CDATA[", "<!--", "]]>", "-->") for k in range(1, len(token))
)


def cap_runs(
    chunks: Iterable[str], cap: int = CAP, on_cut: Callable[[], None] | None = None
) -> Iterator[str]:
    """`chunks` with every value, text, CDATA section or comment longer than `cap` shortened.

    `on_cut` is called at each cut (the text handed on then differs from the input).
    """
    capper = _Capper(cap, on_cut)
    for chunk in chunks:
        yield from capper.feed(chunk)
    yield from capper.feed("", final=True)


class _Capper:
    def __init__(self, cap: int, on_cut: Callable[[], None] | None = None) -> None:
        self.cap = cap
        self.on_cut = on_cut
        self.pending = ""
        self.section = _TEXT  # _TEXT outside CDATA/comments, else _CDATA or _COMMENT
        self.run = 0  # length of the current stretch (since the last "<" or section start)
        self.head: list[str] = []  # that stretch, while it has no "<" (to learn its state)
        self.head_state = _START
        self.until: str | None = None  # while dropping: the terminator looked for
        self.dropped = 0
        self.finish_reference = False

    def feed(self, chunk: str, final: bool = False) -> Iterator[str]:
        data = self.pending + chunk
        keep_back = 0 if final else _HOLD
        while len(data) > keep_back:
            size = _piece_size(data, min(self.cap, len(data) - keep_back), final)
            yield from self._piece(data[:size])
            data = data[size:]
        self.pending = data
        if final and self.until is not None:
            yield self._marker()  # the document ended inside the cut: the parser says so

    def _marker(self) -> str:
        text = f"[truncated {self.dropped} chars]"
        self.dropped = 0
        return text

    def _piece(self, chunk: str) -> Iterator[str]:
        """One piece no longer than `cap` (so a stretch inside it never passes the cap)."""
        pos, n = 0, len(chunk)
        while pos < n:
            if self.finish_reference:
                at = chunk.find(";", pos)
                stop = n if at == -1 else at + 1
                yield chunk[pos:stop]
                self.finish_reference = at == -1
                pos = stop
            elif self.until is not None:
                at = chunk.find(self.until, pos)
                if at == -1:
                    self.dropped += n - pos
                    return
                self.dropped += at - pos
                yield self._marker()
                pos = at
                self._after_drop()
            elif self.section != _TEXT:
                pos = yield from self._in_section(chunk, pos)
            else:
                pos = yield from self._in_markup(chunk, pos)

    def _after_drop(self) -> None:
        until, self.until = self.until, None
        self.run, self.head = 0, []
        self.head_state = {'"': _DQ, "'": _SQ}.get(until or "", _START)

    def _cut(self, chunk: str, pos: int, cut: int, state: int, before: str = "") -> str:
        """Keep `chunk[pos:cut]`, then drop until the end of `state` (a value, text, section).

        `before` is the stretch already passed on: a cut must not land inside an entity or
        character reference (`&amp;` cut to `&am`), so it backs off, or, when the reference
        began in text already passed on, lets the reference finish first.
        """
        if self.on_cut is not None:
            self.on_cut()
        keep = chunk[pos:cut]
        if state in (_DQ, _SQ, _TEXT):
            tail = (before[-12:] + keep)[-12:]
            amp = tail.rfind("&")
            if amp != -1 and ";" not in tail[amp:]:
                open_part = len(tail) - amp
                if open_part <= len(keep):
                    keep = keep[: len(keep) - open_part]
                else:
                    self.finish_reference = True
        self.until = _DROP_UNTIL.get(state) or ("]]>" if state == _CDATA else "-->")
        self.dropped, self.run, self.head = 0, 0, []
        return keep

    def _in_section(self, chunk: str, pos: int) -> Generator[str, None, int]:
        end = "]]>" if self.section == _CDATA else "-->"
        at = chunk.find(end, pos)
        stretch = (len(chunk) if at == -1 else at) - pos
        if self.run + stretch > self.cap:
            keep = self._cut(chunk, pos, pos + max(0, self.cap - self.run), self.section)
            yield keep
            return pos + len(keep)
        if at == -1:
            self.run += stretch
            yield chunk[pos:]
            return len(chunk)
        yield chunk[pos : at + 3]
        self.section, self.run, self.head, self.head_state = _TEXT, 0, [], _TEXT
        return at + 3

    def _in_markup(self, chunk: str, pos: int) -> Generator[str, None, int]:
        n = len(chunk)
        lt = chunk.find("<", pos)
        stretch = (n if lt == -1 else lt) - pos
        if self.run + stretch > self.cap:
            stop = n if lt == -1 else lt
            before = "".join(self.head)
            cut = pos + max(0, self.cap - self.run)
            state = _scan(before + chunk[pos:cut], self.head_state)
            cut, state = _past_markup(chunk, cut, stop, state)
            if state not in _DROP_UNTIL:  # inside a tag's own markup or a PI: pass it through
                yield chunk[pos:stop]
                self.run, self.head = -(1 << 62), []
                return stop
            keep = self._cut(chunk, pos, cut, state, before)
            yield keep
            return pos + len(keep)
        if lt == -1:
            self.run += stretch
            self.head.append(chunk[pos:])
            yield chunk[pos:]
            return n
        # "<!" (CDATA, comment) is rare: a one-character search first (memchr speed), since
        # a two-character search stops at every "<" (measured: 0.08 s per 100 MB).
        bang = chunk.find("<!", lt) if chunk.find("!", lt) != -1 else -1
        stop = n if bang == -1 else bang
        last = chunk.rfind("<", lt, stop)
        yield chunk[pos:stop]
        if last != -1:
            self.head, self.head_state = [chunk[last + 1 : stop]], _START
            self.run = stop - last - 1
        if bang == -1:
            return n
        for opening, section in (("<![CDATA[", _CDATA), ("<!--", _COMMENT)):
            if chunk.startswith(opening, bang):
                yield opening
                self.section, self.run, self.head = section, 0, []
                return bang + len(opening)
        yield "<"
        self.run, self.head, self.head_state = 0, [], _START
        return bang + 1


def _piece_size(data: str, size: int, final: bool) -> int:
    """Move a piece's end back so no "<![CDATA[", "<!--", "]]>" or "-->" is split by it."""
    if (final and size == len(data)) or _SPECIAL.search(data, max(0, size - _HOLD), size) is None:
        return size
    candidates: list[int] = [
        *range(size, max(0, size - _HOLD), -1),
        *range(size + 1, len(data) + 1),
    ]
    for end in candidates:
        if not any(data.endswith(prefix, 0, end) for prefix in _PREFIXES):
            return end
    return size  # only a pathological run like "]]]]]]]]]" gets here


def _past_markup(chunk: str, cut: int, stop: int, state: int) -> tuple[int, int]:
    """Move a cut that falls between a tag's attributes on, into the next value or text."""
    while cut < stop and state in (_START, _TAG):
        if state == _START:
            state = _PI if chunk[cut] == "?" else _TAG
            continue
        match = _TAG_STOP.search(chunk, cut, stop)
        if match is None:
            return stop, state
        stop_char = match.group()
        state = _TEXT if stop_char == ">" else (_DQ if stop_char == '"' else _SQ)
        cut = match.end()
    return cut, state


def _scan(text: str, state: int) -> int:
    """The lexical state at the end of `text`, a stretch without `<` starting in `state`."""
    i, n = 0, len(text)
    while i < n:
        if state == _START:
            state = _PI if text.startswith("?", i) else _TAG
        elif state == _TAG:
            match = _TAG_STOP.search(text, i)
            if match is None:
                return _TAG
            stop = match.group()
            state = _TEXT if stop == ">" else (_DQ if stop == '"' else _SQ)
            i = match.end()
        elif state in (_DQ, _SQ):
            at = text.find('"' if state == _DQ else "'", i)
            if at == -1:
                return state
            state, i = _TAG, at + 1
        else:
            return state  # _TEXT runs to the next "<"; a _PI is passed through
    return state
