"""Cleaning and bounding untrusted text from JUnit files before it enters the result.

Test names and failure messages come from anywhere: control characters, megabytes of trace,
secrets. Every string that reaches a `Problem` goes through here once, so that reports can rely
on it being printable, bounded and redacted.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MESSAGE_LIMIT = 2_000
DETAIL_LIMIT = 8_000
NAME_LIMIT = 500

# C0 controls but tab/newline/return, DEL, and the two non-characters expat would reject.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# Names are one line: every control character, newlines included, becomes a space.
_NAME_CONTROL = re.compile("[\x00-\x1f\x7f\ufffe\uffff]+")

_MARKER = re.compile(r"\[truncated (\d+) chars\]")

Redact = Callable[[str], str]


def bound(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with a note saying how much was dropped."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[truncated {len(text) - limit} chars]"


def clean_text(text: str | None, limit: int, redact: Redact) -> str:
    """A message or trace: control characters replaced, redacted, then bounded.

    Redaction runs on a slightly longer cut than the bound so that a secret straddling the cut
    is still recognised and masked rather than half shown.
    """
    if not text:
        return ""
    total = len(text)
    if total > limit:
        # The stream capper (gate.junit.cap) may already have cut this text: count its cut too.
        earlier = _MARKER.findall(text, limit)
        total += sum(int(n) for n in earlier) - sum(len(f"[truncated {n} chars]") for n in earlier)
    text = _CONTROL.sub("\ufffd", text[: limit + 256])
    text = redact(text.strip("\n"))
    if total > limit:
        return f"{text[:limit]}\n[truncated {total - limit} chars]"
    return bound(text, limit)


def clean_name(text: str | None, redact: Redact | None = None) -> str:
    """A test or suite name: one printable line, bounded, optionally redacted."""
    if not text:
        return ""
    text = text[: NAME_LIMIT + 64]
    if not text.isprintable():  # C speed; printable text holds no control character
        text = _NAME_CONTROL.sub(" ", text)
    text = text.strip()
    if redact is not None:
        text = redact(text)
    return bound(text, NAME_LIMIT).replace("\n", " ")
