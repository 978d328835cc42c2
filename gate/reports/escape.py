"""Making untrusted text (test names, messages, properties, server responses) safe to render.

Every string that did not come from deploy-gate itself goes through one of these functions
before it is written into Markdown, HTML, a terminal or a workflow command:

1. `clean`: drop control characters (ANSI escapes, NUL, bidi overrides, zero-width characters)
   *before* redaction, so a token split by invisible characters is still recognised.
2. redaction (`gate.redact.Redactor`), again, as defence in depth: the reader redacts where text
   enters, the renderers redact once more where it leaves.
3. bounding (`shorten`, `bound_block`), so a 50 MB failure message costs a few kilobytes.
4. escaping for the context it lands in: Markdown inline text (`md_inline`), raw HTML such as
   `<summary>` (`html_text`), or a fenced code block (`fenced`, whose fence the text cannot
   close).

`@mentions` and `#123` issue references are neutralised with a zero-width joiner after the
`@`/`#`, so a hostile test name cannot ping people or link issues from a PR comment.
"""

from __future__ import annotations

import html
import re

from gate.redact import Redactor
from gate.workflow_io import no_log_commands as no_log_commands  # moved; re-exported

ZWJ = "\u200d"
ELLIPSIS = "…"

# C0/C1 controls except tab and newline, DEL, zero-width and bidi formatting characters, BOM.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_ISSUE_REF = re.compile(r"#(?=\d)")
_GH_REF = re.compile(r"(?i)\b(GH)-(?=\d)")
# Characters with a meaning in GitHub-flavoured Markdown inline text (and tables: `|`).
# `:` is escaped too, so a URL in a test name is not turned into a link (and `www.` below).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~:])")
# At the start of a list item these would open a nested list or a heading underline.
_WWW = re.compile(r"(?i)(www)\.")
_LEADING_MARKER = re.compile(r"^(\d*)([-+=.])")
_BACKTICK_RUN = re.compile(r"`+")
_WHITESPACE = re.compile(r"\s+")

_DEFAULT_REDACTOR = Redactor()

# How far past a cut point text is kept before redaction, so a credential that straddles the cut
# is still recognised whole (and masked) before the final cut.
_REDACT_MARGIN = 1_000


def clean(text: str) -> str:
    """Normalise line breaks and remove control, zero-width and bidi characters."""
    text = _LINE_BREAKS.sub("\n", text)
    return _CONTROL.sub("", text.expandtabs(4))


def neutralise(text: str) -> str:
    """Break `@mention`, `#123` and `GH-123` autolinks with a zero-width joiner."""
    text = _MENTION.sub("@" + ZWJ, text)
    text = _ISSUE_REF.sub("#" + ZWJ, text)
    return _GH_REF.sub(lambda m: m.group(1) + ZWJ + "-", text)


def shorten(text: str, limit: int, *, middle: bool = False) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis.

    `middle=True` keeps both ends (for test ids, whose end names the test).
    """
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    if middle:
        head = (limit - 1) // 2
        tail = limit - 1 - head
        return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")
    return text[: limit - 1] + ELLIPSIS


def safe_text(text: object, limit: int, redactor: Redactor | None = None) -> str:
    """Cleaned, redacted text on one line, at most `limit` characters (not yet escaped)."""
    value = "" if text is None else str(text)
    value = clean(value[: limit + _REDACT_MARGIN])
    value = (redactor or _DEFAULT_REDACTOR)(value)
    value = _WHITESPACE.sub(" ", value).strip()
    return shorten(value, limit)


def safe_id(text: object, limit: int, redactor: Redactor | None = None) -> str:
    """Like `safe_text` for identifiers: an over-long id keeps its start and its end."""
    value = "" if text is None else str(text)
    if len(value) > 2 * (limit + _REDACT_MARGIN):
        keep = limit + _REDACT_MARGIN
        value = value[:keep] + " " + value[-keep:]
    value = (redactor or _DEFAULT_REDACTOR)(clean(value))
    return shorten(_WHITESPACE.sub(" ", value).strip(), limit, middle=True)


def bound_block(text: object, limit: int, redactor: Redactor | None = None) -> str:
    """Cleaned, redacted multi-line text of at most about `limit` characters.

    Keeps the head and the tail (a trace's last lines say most) and says how much was left out.
    """
    value = "" if text is None else str(text)
    red = redactor or _DEFAULT_REDACTOR
    if len(value) <= limit:
        return red(clean(value)).rstrip()
    head_n = limit // 3
    tail_n = limit - head_n
    head = red(clean(value[: head_n + _REDACT_MARGIN]))[:head_n]
    tail = red(clean(value[-(tail_n + _REDACT_MARGIN) :]))[-tail_n:]
    omitted = len(value) - head_n - tail_n
    return f"{head}\n[… {omitted:,} characters left out …]\n{tail}".rstrip()


def md_inline(text: str) -> str:
    """Escape already-cleaned one-line text for Markdown inline context, table cells included."""
    text = neutralise(html.escape(text.replace("\n", " "), quote=False))  # & < >
    text = _WWW.sub(r"\1\\.", _MD_SPECIAL.sub(r"\\\1", text))
    return _LEADING_MARKER.sub(r"\1\\\2", text)


def html_text(text: str) -> str:
    """Escape already-cleaned text for raw HTML context (e.g. inside `<summary>`).

    Markdown is not interpreted there, so only HTML is escaped (backslashes would show).
    """
    return neutralise(html.escape(text.replace("\n", " "), quote=True))


def fence_for(text: str, char: str = "`") -> str:
    """A code fence longer than any run of backticks in `text` (at least three)."""
    longest = max((len(m.group(0)) for m in _BACKTICK_RUN.finditer(text)), default=0)
    return char * max(3, longest + 1)


def fenced(text: str, info: str = "text") -> str:
    """`text` (already cleaned and bounded) in a fenced code block it cannot break out of.

    Inside a fence GitHub renders no HTML, Markdown, mentions or issue links.
    """
    fence = fence_for(text)
    return f"{fence}{info}\n{text}\n{fence}"
