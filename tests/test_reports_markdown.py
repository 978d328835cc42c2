"""summary.md: verdict first, escaped and redacted, bounded, structurally sound.

Structure is checked twice: on the Markdown source (fences balanced, `<details>` balanced outside
fences, table rows with a constant cell count) and on the HTML that cmark-gfm (GitHub's own
parser) renders from it (no element an attacker chose, every hostile string shown as text).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from gate.model import GateResult, Outcome, Problem, SuiteResult, Totals, Verdict
from gate.reports import render_markdown
from gate.reports.escape import ZWJ


def render(markdown: str) -> str:
    """HTML from cmark-gfm, GitHub's own Markdown parser, with raw HTML passed through and
    without GitHub's tag filter, so that only our escaping stands between input and output."""
    return cmarkgfm.markdown_to_html_with_extensions(
        markdown,
        options=Options.CMARK_OPT_UNSAFE,
        extensions=["table", "autolink", "strikethrough"],
    )


GHP = "ghp_" + "Q7w8E9r0" * 5
ALLOWED_TAGS = {
    "h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "details",
    "summary", "code", "pre", "b", "strong", "em", "a", "sub", "blockquote", "br",
}  # fmt: skip


def suite(name: str, problems: list[Problem], *, blocking: bool = True) -> SuiteResult:
    failed = sum(p.outcome == "failed" for p in problems)
    errors = sum(p.outcome == "error" for p in problems)
    skipped = sum(p.outcome == "skipped" for p in problems)
    outcome = Outcome.FAILED if failed or errors else Outcome.PASSED
    totals = Totals(
        tests=len(problems) + 3, passed=3, failed=failed, errors=errors, skipped=skipped
    )
    return SuiteResult(name, outcome, totals, 1.5, problems, blocking=blocking)


def result_of(*suites: SuiteResult, reasons: list[str] | None = None) -> GateResult:
    totals = Totals()
    for s in suites:
        totals.add(s.totals)
    outcome = Outcome.worst([s.outcome for s in suites])
    verdict = Verdict.BLOCK if outcome.severity >= Outcome.INCONCLUSIVE.severity else Verdict.PASS
    return GateResult(
        verdict, outcome, reasons or [], "https://staging.example", totals, list(suites)
    )


# --- structure checks -------------------------------------------------------------------------


def fences_and_details(markdown: str) -> tuple[int, int, bool]:
    """(`<details>` opens, closes, every fence closed) counted outside fenced blocks."""
    opens = closes = 0
    fence: str | None = None
    for line in markdown.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        stripped = line.lstrip(" ") if indent <= 3 else line  # 4 spaces: indented code
        if fence is None:
            match = re.match(r"(`{3,}|~{3,})", stripped)
            if match:
                fence = match.group(1)
                continue
            opens += stripped.count("<details>")
            closes += stripped.count("</details>")
        elif re.fullmatch(re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*", stripped):
            fence = None
    return opens, closes, fence is None


def table_shapes(markdown: str) -> list[set[int]]:
    """For each table, the set of cell counts of its rows (a sound table has one count)."""
    shapes: list[set[int]] = []
    current: set[int] | None = None
    for line in markdown.split("\n"):
        if line.startswith("|"):
            cells = len(re.findall(r"(?<!\\)\|", line)) - 1
            if current is None:
                current = set()
                shapes.append(current)
            current.add(cells)
        else:
            current = None
    return shapes


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def rendered(markdown: str) -> _Tags:
    parser = _Tags()
    parser.feed(render(markdown))
    return parser


def assert_sound(markdown: str) -> None:
    opens, closes, closed = fences_and_details(markdown)
    assert opens == closes
    assert closed, "a fenced block is left open"
    for shape in table_shapes(markdown):
        assert len(shape) == 1, f"table rows with different cell counts: {shape}"
    tags = rendered(markdown)
    assert set(tags.tags) <= ALLOWED_TAGS, set(tags.tags) - ALLOWED_TAGS
    assert tags.tags.count("details") == opens


def test_structure_checks_catch_broken_markdown() -> None:
    assert fences_and_details("<details>\n\n````\nx\n```\n\n</details>")[2] is False
    assert fences_and_details("<details>\n\n````\n</details>\n```\n````\n")[:2] == (1, 0)
    assert table_shapes("| a | b |\n|---|---|\n| x | y | z |\n") == [{2, 3}]
    with pytest.raises(AssertionError):
        assert_sound("<details><summary>x</summary>\n\n<script>y</script>\n\n</details>")


# --- the verdict line ---------------------------------------------------------------------------


def test_first_line_is_the_verdict_for_a_pass() -> None:
    md = render_markdown(result_of(suite("smoke", [])))
    assert md.split("\n", 1)[0] == "## ✅ deploy-gate: pass"


def test_first_line_names_failing_count_and_suite_for_a_block() -> None:
    problems = [Problem("t::a", "failed", "boom"), Problem("t::b", "error", "crash")]
    md = render_markdown(result_of(suite("smoke", problems), suite("e2e", [])))
    assert md.split("\n", 1)[0] == "## ⛔ deploy-gate: block — 2 tests failed in smoke"


def test_warned_pass_and_block_without_failures_use_the_first_reason() -> None:
    warned = result_of(suite("smoke", [Problem("t::f", "flaky", "once")]), reasons=["1 flaky"])
    warned.outcome = Outcome.WARNED
    first = render_markdown(warned).split("\n", 1)[0]
    assert first == "## ⚠️ deploy-gate: pass with warnings — 1 flaky"
    empty = GateResult(Verdict.BLOCK, Outcome.INCONCLUSIVE, ["smoke ran 0 tests", "e2e not run"])
    first = render_markdown(empty).split("\n", 1)[0]
    assert (
        "".join(rendered(first).text).strip()
        == "⛔ deploy-gate: block — smoke ran 0 tests (+1 more)"
    )


def test_reasons_totals_and_sections_in_order() -> None:
    problems = [
        Problem("t::skip", "skipped", "not on staging"),
        Problem("t::quar", "quarantined", "quarantined: JIRA-12 (failed: timeout)"),
        Problem("t::flaky", "flaky", "passed on rerun 2"),
        Problem("t::fail", "failed", "assert 1 == 2", 0.2, "tests/t.py", 7, "p1", "trace"),
    ]
    res = result_of(suite("smoke", problems), reasons=["smoke: 1 test failed"])
    md = render_markdown(res, run_url="https://github.com/o/r/actions/runs/9")
    order = [
        md.index("- smoke: 1 test failed"),
        md.index("| Suite | Tests | Passed | Failed | Errors | Skipped | Flaky | Quarantined"),
        md.index("### ❌ Failing tests (1)"),
        md.index("### 🔁 Flaky tests"),
        md.index("### 🧊 Quarantined tests"),
        md.index("### ⏭️ Skipped tests"),
    ]
    assert order == sorted(order)
    assert "JIRA-12" in md  # the quarantine reason is shown
    assert "at tests/t.py:7" in md
    assert "(failed, p1, 0.2 s)" in md
    assert "[workflow run](<https://github.com/o/r/actions/runs/9>)" in md
    assert "Truncated" not in md
    assert_sound(md)


def test_failing_tests_order_blocking_first_then_priority_tier() -> None:
    advisory = suite("perf", [Problem("adv", "failed", "x", tier="p1")], blocking=False)
    blocking = suite(
        "smoke",
        [Problem("low", "failed", "x", tier="p5"), Problem("high", "failed", "x", tier="p1")],
    )
    md = render_markdown(result_of(advisory, blocking))
    positions = [md.index(f"<code>{name}</code>") for name in ("high", "low", "adv")]
    assert positions == sorted(positions)
    assert "❌ failed (advisory)" in md


# --- hostile input ------------------------------------------------------------------------------


def hostile_result() -> GateResult:
    message = (
        "</details><script>alert(1)</script>\n```\n````\n~~~\n@someone please #1\n"
        f"Authorization: Bearer abc.def.ghi\ntoken {GHP}\nctrl\x1b[2J\x00\x07 end"
    )
    problems = [
        Problem(
            "test_<script>|pipe|@someone #1 ```x```" + "\x1b[31m",
            "failed",
            message,
            file="tests/</details>.py",
            line=3,
            tier="<b>p1</b>",
            detail="x" * 10_000_000 + f" {GHP} " + "`" * 40,
        ),
        Problem("big", "error", "M" * 50_000_000),
        Problem("@someone|skip</details>", "skipped", "skip @reason #2 <img src=x>"),
        Problem("flaky `x`", "flaky", "passed on rerun\n```"),
    ]
    return result_of(
        suite("smoke|<b>evil</b>@team", problems),
        reasons=["<script>@someone</script> | #3", f"leak {GHP}"],
    )


def test_hostile_names_and_messages_are_safe_and_bounded() -> None:
    md = render_markdown(hostile_result())
    assert len(md) <= 60_000
    assert_sound(md)
    html = render(md)
    assert "<script" not in html
    assert "<img" not in html
    assert "<b>evil" not in html
    assert GHP not in md
    assert GHP[4:20] not in md
    assert "abc.def.ghi" not in md
    assert "\x1b" not in md
    assert "\x00" not in md
    assert "\x07" not in md
    # Outside code blocks (where GitHub links nothing) every mention and issue reference is
    # broken by a joiner.
    outside = "".join(rendered(re.sub(r"<pre>.*?</pre>", "", render(md), flags=re.S)).text)
    assert "@" + ZWJ + "someone" in outside
    assert not re.search(r"@[a-z]", outside)
    assert "#" + ZWJ + "3" in outside
    assert not re.search(r"#\d", outside)
    # The hostile text is still there for a reader, as text.
    visible = "".join(rendered(md).text)
    assert "</details><script>alert(1)</script>" in visible
    assert "test_<script>|pipe|@" + ZWJ + "someone" in visible


def test_fifty_megabyte_message_costs_a_few_kilobytes() -> None:
    res = result_of(suite("smoke", [Problem("big", "failed", "A" * 50_000_000 + "THE END")]))
    md = render_markdown(res)
    assert len(md) < 12_000
    assert "THE END" in md
    assert "characters left out" in md


# --- the size bound ------------------------------------------------------------------------------


def big_result(n: int) -> GateResult:
    problems = [
        Problem(f"tests/test_mod_{i % 50}.py::test_case_{i}", "failed", f"assert {i} == 0\n" * 3)
        for i in range(n)
    ]
    problems += [Problem(f"skip_{i}", "skipped", "no agents") for i in range(20)]
    return result_of(suite("smoke", problems))


def test_hundred_thousand_problems_stay_under_the_limit_with_a_truncation_line() -> None:
    md = render_markdown(big_result(100_000))
    assert len(md) <= 60_000
    assert_sound(md)
    shown = md.count("<details>")
    assert 20 < shown < 100_000
    line = next(x for x in md.split("\n") if "Truncated" in x)
    assert f"{100_000 - shown:,} of 100,000 failing tests" in line
    assert "20 of 20 skipped tests" in line
    assert "result.json" in line
    assert md.rstrip().endswith("</sub>")


@pytest.mark.parametrize("limit", [2_000, 5_000, 20_000, 65_535])
def test_every_limit_is_respected_and_never_cuts_inside_an_item(limit: int) -> None:
    md = render_markdown(big_result(2_000), limit=limit, run_url="https://x.example/run/1")
    assert len(md) <= limit
    assert_sound(md)
    assert "Truncated" in md
    assert "[run's artifacts](<https://x.example/run/1>)" in md


def test_a_limit_too_small_for_the_verdict_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        render_markdown(big_result(1), limit=100)


def test_a_non_http_run_url_is_not_linked() -> None:
    md = render_markdown(big_result(1), run_url="javascript:alert(1)")
    assert "javascript" not in md
    assert "](" not in md


def test_many_suites_and_reasons_are_bounded() -> None:
    suites = [suite(f"s{i}", [Problem("t", "failed", "x")]) for i in range(500)]
    md = render_markdown(result_of(*suites, reasons=[f"reason {i}" for i in range(1_000)]))
    assert len(md) <= 60_000
    assert "more suites (see result.json)" in md
    assert "… and 980 more reasons" in md
    assert_sound(md)


def test_configured_secrets_are_masked_at_render_time() -> None:
    res = result_of(
        suite("smoke", [Problem("t::login", "failed", "login as admin with pw Sup3r-Secret-42")]),
        reasons=["Sup3r-Secret-42 rejected"],
    )
    md = render_markdown(res, secrets=["Sup3r-Secret-42"])
    assert "Sup3r" not in md
    assert "- \\*\\*\\* rejected" in md
    assert "login as admin with pw ***</summary>" in md


def test_a_list_item_without_message_shows_its_detail() -> None:
    res = result_of(suite("smoke", [Problem("t::q", "quarantined", "", detail="JIRA-7: slow")]))
    assert "- 🧊 **smoke** › `t::q` — JIRA-7: slow" in render_markdown(res)
