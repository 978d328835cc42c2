"""Escaping of untrusted text: what a hostile test name or message turns into in each context.

The Markdown assertions render the escaped text with cmark-gfm (GitHub's own parser, `cmarkgfm`)
and compare what a reader would see with the original text.
"""

from __future__ import annotations

import html
import re

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from gate.reports.escape import (
    ZWJ,
    bound_block,
    clean,
    fence_for,
    fenced,
    html_text,
    md_code,
    md_inline,
    neutralise,
    no_log_commands,
    safe_id,
    safe_text,
    shorten,
)


def render(markdown: str) -> str:
    """HTML from cmark-gfm, GitHub's own Markdown parser, with raw HTML passed through and
    without GitHub's tag filter, so that only our escaping stands between input and output."""
    return cmarkgfm.markdown_to_html_with_extensions(
        markdown,
        options=Options.CMARK_OPT_UNSAFE,
        extensions=["table", "autolink", "strikethrough"],
    )


HOSTILE = [
    "<script>alert(1)</script>",
    "</details><details open>",
    "a | b || c",
    "*bold* _it_ `code` [link](https://evil.example) ![img](x)",
    "# heading",
    "1. not a list",
    "- not a list",
    "+ nor this",
    "=== nor a heading underline",
    "> not a quote",
    "@octocat please look",
    "fixes #1 and GH-2",
    "$\\color{red}{\\text{PASSED}}$ and $$x$$",
    "&amp; &lt;already escaped&gt;",
    "back\\slash\\",
    "~~strike~~ {curly} (paren) +plus+ !bang :colon:",
    "see www.evil.example, https://evil.example/x and mail bob@evil.example",
]


def _visible(fragment_html: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, joiners removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment_html)).replace(ZWJ, "").strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_md_inline_renders_as_the_literal_text(text: str) -> None:
    rendered = render(f"x {md_inline(text)}")
    assert re.fullmatch(r"<p>[^<]*</p>\s*", rendered), rendered  # no element of any kind
    assert _visible(rendered) == f"x {text}"


def test_md_inline_escapes_every_dollar_so_github_math_never_opens() -> None:
    # cmark-gfm here has no math extension; GitHub's renderer has: no `$` may stay unescaped.
    escaped = md_inline("$\\color{red}{ok}$ costs $$5$$")
    assert re.search(r"(?<!\\)\$", escaped) is None, escaped


@pytest.mark.parametrize("text", HOSTILE)
def test_md_inline_is_one_table_cell(text: str) -> None:
    rendered = render(f"| a | b |\n|---|---|\n| {md_inline(text)} | z |\n")
    cells = re.findall(r"<td>(.*?)</td>", rendered, flags=re.S)
    assert len(cells) == 2, rendered
    assert _visible(cells[0]) == text
    assert _visible(cells[1]) == "z"


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_inside_summary_shows_the_literal_text(text: str) -> None:
    rendered = render(f"<details><summary>{html_text(text)}</summary>\n\nbody\n\n</details>\n")
    summary = re.search(r"<summary>(.*?)</summary>", rendered, flags=re.S)
    assert summary is not None
    assert "<" not in summary.group(1)
    assert _visible(summary.group(1)) == text
    assert rendered.count("<details>") == rendered.count("</details>") == 1


@pytest.mark.parametrize("text", HOSTILE)
def test_md_code_renders_as_the_literal_text_in_a_code_span_or_as_text(text: str) -> None:
    rendered = render(f"x {md_code(text)}")
    assert re.fullmatch(r"<p>[^<]*(<code>[^<]*</code>)?[^<]*</p>\s*", rendered), rendered
    assert _visible(rendered) == f"x {text}"


@pytest.mark.parametrize("text", [*HOSTILE, "`tick` and `` two ``", "` lead", "a|b"])
def test_md_code_in_a_cell_is_one_table_cell(text: str) -> None:
    rendered = render(f"| a | b |\n|---|---|\n| {md_code(text, cell=True)} | z |\n")
    cells = re.findall(r"<td>(.*?)</td>", rendered, flags=re.S)
    assert len(cells) == 2, rendered
    assert _visible(cells[0]) == text
    assert _visible(cells[1]) == "z"


def test_raw_markdown_stays_readable_where_nothing_needs_escaping() -> None:
    """Issue 15: a raw summary.md read `http\\://127.0.0.1\\:46823` and `p\\(95\\)&lt;500`."""
    plain = "p(95)<500 for test_foo_bar at 127.0.0.1:46823 (3 of 4): a & b > c"
    assert md_inline(plain) == plain
    assert md_code("http://127.0.0.1:46823") == "`http://127.0.0.1:46823`"
    assert md_code("p(95)<500", cell=True) == "`p(95)<500`"
    assert md_code("a|b", cell=True) == "`a\\|b`"
    assert md_code("say `x`") == "`` say `x` ``"
    assert md_inline("see http://x.example") == "see http\\://x.example"  # no autolink
    assert html_text('p(95)<500 & "q"') == 'p(95)<500 & "q"'


def test_mentions_and_issue_references_are_broken_by_a_joiner() -> None:
    assert neutralise("@octocat") == f"@{ZWJ}octocat"
    assert neutralise("see #12, GH-3 and a@b") == f"see #{ZWJ}12, GH{ZWJ}-3 and a@{ZWJ}b"
    assert neutralise("C# and #define stay") == "C# and #define stay"
    assert not re.search(r"@[A-Za-z]", md_inline("ping @someone and @other-team"))
    assert not re.search(r"#\d", html_text("issue #1"))


def test_newlines_never_reach_a_table_cell() -> None:
    assert "\n" not in md_inline("line one\nline two")
    assert safe_text("a\r\n\n b\u2028c", 100) == "a b c"


def test_clean_removes_control_bidi_and_zero_width_characters() -> None:
    text = "ok\x1b[31mred\x1b[0m\x00\x07 \u202eevil\u202c \u200bzw\ufeff\ttab\nnext"
    assert clean(text) == "ok[31mred[0m evil zw    tab\nnext"


def test_a_token_split_by_invisible_characters_is_still_redacted() -> None:
    token = "ghp_" + "a1" * 18
    split = token[:6] + "\u200b" + token[6:20] + "\x00" + token[20:]
    assert "***" in safe_text(f"token {split}", 200)
    assert token[8:] not in safe_text(f"token {split}", 200)


def test_fence_is_longer_than_any_backtick_run() -> None:
    assert fence_for("no ticks") == "```"
    assert fence_for("``` and `````") == "``````"
    text = "before\n```\n</details>\n````\nafter <script>"
    rendered = render(fenced(text) + "\n\noutside\n")
    assert rendered.count("<pre>") == 1
    code = re.search(r"<code[^>]*>(.*?)</code>", rendered, flags=re.S)
    assert code is not None
    assert html.unescape(code.group(1)) == text + "\n"
    assert "<p>outside</p>" in rendered


def test_shorten_marks_the_cut_and_keeps_ends_of_ids() -> None:
    assert shorten("abcdef", 10) == "abcdef"
    assert shorten("abcdefghij", 5) == "abcd…"
    cut = shorten("tests/" + "x" * 300 + "::test_the_end", 60, middle=True)
    assert len(cut) == 60
    assert cut.startswith("tests/")
    assert cut.endswith("test_the_end")
    assert "…" in cut


def test_safe_id_bounds_a_huge_name_and_keeps_its_end() -> None:
    name = "test_" + "a" * 5_000_000 + "_end"
    out = safe_id(name, 100)
    assert len(out) == 100
    assert out.endswith("_end")


def test_huge_message_is_bounded_head_and_tail() -> None:
    message = "HEAD " + "x" * 50_000_000 + " TAIL"
    one_line = safe_text(message, 300)
    assert len(one_line) == 300
    block = bound_block(message, 3_000)
    assert len(block) < 3_200
    assert block.startswith("HEAD ")
    assert block.endswith(" TAIL")
    assert "characters left out" in block


def test_bound_block_redacts_a_secret_on_either_side_of_the_cut() -> None:
    token = "ghp_" + "Z9" * 20
    message = "a " * 475 + token + " b" * 50_000 + token + " c" * 990  # both tokens straddle a cut
    block = bound_block(message, 3_000)
    assert "Z9Z9" not in block


def test_no_log_commands_disarms_runner_commands() -> None:
    assert no_log_commands("::set-output name=x::y").lstrip()[:2] != "::"
    assert "##[" not in no_log_commands("x ##[error]boom")
    assert no_log_commands("tests/a.py::test_b") == "tests/a.py::test_b"
