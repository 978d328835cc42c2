"""Making untrusted text (test names, messages, properties, server responses) safe to render.

Every string that did not come from deploy-gate itself goes through one of these functions
before it is written into Markdown, HTML, a terminal or a workflow command:

1. `clean`: drop control characters (ANSI escapes, NUL, bidi overrides, zero-width characters)
   *before* redaction, so a token split by invisible characters is still recognised.
2. redaction (`gate.redact.Redactor`), again, as defence in depth: the reader redacts where text
   enters, the renderers redact once more where it leaves.
3. bounding (`shorten`, `bound_block`), so a 50 MB failure message costs a few kilobytes.
4. escaping for the context it lands in, and only what that context needs (a raw summary.md
   stays readable): Markdown inline text and table cells (`md_inline`), a code span for ids,
   URLs and expressions (`md_code`), raw HTML such as `<summary>` (`html_text`), or a fenced
   code block (`fenced`, whose fence the text cannot close).

`@mentions` and `#123` issue references are neutralised with a zero-width joiner after the
`@`/`#`, so a hostile test name cannot ping people or link issues from a PR comment.
"""

from __future__ import annotations

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
# Escaping is by context and minimal, so that a raw summary.md stays readable
# (`p(95)<500`, `http://127.0.0.1:46823` in a code span), yet renders exactly as the text.
# Inline text and table cells: characters that open an inline construct anywhere (`$` opens
# GitHub's math, `$...$` and `$$...$$`, which can recolour or resize text in a comment).
_MD_ALWAYS = re.compile(r"([\\`*\[\]|~$])")
# `_` opens or closes emphasis only at a word edge; `test_foo_bar` needs no backslash.
_UNDERSCORE = re.compile(r"_(?![^\W_])|(?<![^\W_])_")
# `<` starts raw HTML or an autolink only before a letter, `/`, `!` or `?`; `&` starts a
# character reference only before a letter, digit or `#`: `p(95)<500` and `a & b` stay as typed.
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_START = re.compile(r"&(?=[A-Za-z0-9#])")
# GitHub autolinks bare `http://`, `https://`, `ftp://` and `www.`: one backslash breaks each.
_SCHEME = re.compile(r"(?i)\b(https?|ftp):(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
# At the start of a list item these would open a nested list, a quote or a heading.
_LEADING_MARKER = re.compile(r"^(\d*)([-+=.)>#])")
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
    """Escape already-cleaned one-line text for Markdown inline context, table cells included.

    Only what would start a Markdown, HTML or link construct gets a backslash; the rest is left
    as typed, so the raw file reads like the text.
    """
    text = _MD_ALWAYS.sub(r"\\\1", text.replace("\n", " "))
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY_START.sub(r"\\&", text)
    text = _HTML_START.sub("&lt;", text)  # an entity, so no raw `</details>` is in the file
    text = _WWW.sub(r"\1\\.", _SCHEME.sub(r"\1\\:", text))
    return neutralise(_LEADING_MARKER.sub(r"\1\\\2", text))


def md_code(text: str, *, cell: bool = False) -> str:
    """Already-cleaned one-line text as a Markdown code span: shown exactly as typed (ids, URLs,
    threshold expressions), with no link, emphasis or HTML inside.

    The delimiter is longer than any backtick run in the text. Mentions and issue references are
    neutralised as elsewhere. In a table cell (`cell=True`) `|` is written `\\|`, which GitHub
    reads as a literal pipe even inside a code span. Text that looks like an HTML tag is
    written as escaped inline text instead, so that no raw tag stands in the file.
    """
    if not text or _HTML_START.search(text):
        return md_inline(text)
    text = neutralise(text.replace("\n", " "))
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(m.group(0)) for m in _BACKTICK_RUN.finditer(text)), default=0)
    tick = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text else ""
    return f"{tick}{pad}{text}{pad}{tick}"


def html_text(text: str) -> str:
    """Escape already-cleaned text for raw HTML context (e.g. inside `<summary>`).

    Markdown is not interpreted there, so only what could start a tag or a character reference
    is escaped (backslashes would show); quotes and `>` need nothing in element text.
    """
    text = text.replace("\n", " ")
    text = re.sub(r"&(?=[A-Za-z0-9#])", "&amp;", text)
    return neutralise(_HTML_START.sub("&lt;", text))


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
