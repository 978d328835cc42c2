"""One file read on two cores (`gate.junit.split`): exactly what one reader gets, or no split.

Every test reads the same file twice, once with splitting off and once with it forced (any
size, two CPUs), compares everything the reader returns, and asserts which way the split went:
taken (the child's part absorbed) or declined (read on by this process). A comparison that
passed without a split having been tried would prove nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_junit_oracle import OUTCOMES, document

import gate.junit.fold as fold_module
import gate.junit.split as split
from gate.errors import JUnitReadError
from gate.junit import JUnitData, read_junit
from gate.junit.fold import AttributeCounts, Folder
from gate.junit.scan import scan_file
from gate.redact import Redactor


@dataclasses.dataclass
class Tries:
    started: int = 0  # a child was forked
    absorbed: int = 0  # its part was taken
    pids: list[int] = dataclasses.field(default_factory=list)


@pytest.fixture
def tries(monkeypatch: pytest.MonkeyPatch) -> Tries:
    """Splitting forced for every file (when the switch below says so), and counted."""
    seen = Tries()
    start, absorb = split.start_later_part, Folder.absorb

    def counted_start(*args: Any, **kwargs: Any) -> split.LaterRead | None:
        later = start(*args, **kwargs)
        seen.started += later is not None
        if later is not None:
            seen.pids.append(later._pid)
        return later

    def counted_absorb(self: Folder, values: Iterator[Any]) -> None:
        seen.absorbed += 1
        absorb(self, values)

    monkeypatch.setattr(split, "_usable_cpus", lambda: 2)
    monkeypatch.setattr("gate.junit.scan.start_later_part", counted_start)
    monkeypatch.setattr(Folder, "absorb", counted_absorb)
    return seen


def read(path: Path, monkeypatch: pytest.MonkeyPatch, *, split_bytes: int) -> JUnitData:
    monkeypatch.setattr(split, "SPLIT_BYTES", split_bytes)
    spools = path.parent / f"spools-{split_bytes}"
    spools.mkdir(exist_ok=True)
    return read_junit([path], redact=Redactor({"s3cr3t-value"}), spool_dir=spools)


def same(one: JUnitData, two: JUnitData) -> None:
    """Everything the reader returns, the same."""
    assert [dataclasses.astuple(c) for c in one.cases] == [
        dataclasses.astuple(c) for c in two.cases
    ]
    assert (one.passed, one.testcases, one.nameless, one.messages_cut, one.errors) == (
        two.passed,
        two.testcases,
        two.nameless,
        two.messages_cut,
        two.errors,
    )
    assert one.duration_s == two.duration_s
    assert one.from_attributes == two.from_attributes
    for a, b in zip(one.bodies.values(), two.bodies.values(), strict=True):
        assert (a.start, a.end, a.owned, a.size) == (b.start, b.end, b.owned, b.size)
        if a.owned:
            assert a.path.read_bytes() == b.path.read_bytes()


def both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[JUnitData, JUnitData]:
    return read(path, monkeypatch, split_bytes=1 << 62), read(path, monkeypatch, split_bytes=1)


def cases(prefix: str, count: int, body: str = "") -> str:
    return "".join(
        f'<testcase classname="pkg.{prefix}" name="t{i}" time="0.01">{body}</testcase>'
        for i in range(count)
    )


def test_a_split_file_folds_exactly_as_one_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tries: Tries
) -> None:
    """Reruns across the halves, both orders: pass-then-fail, fail-then-pass, fail-then-skip,
    a secret in a name, two suites, and every identity in both halves."""
    first = (
        cases("A", 60)
        + '<testcase classname="pkg.R" name="flaky"><failure message="boom"/></testcase>'
        + '<testcase classname="pkg.R" name="late-failure"/>'
        + '<testcase classname="pkg.R" name="skipped-later"><error message="e"/></testcase>'
        + '<testcase classname="pkg.R" name="token s3cr3t-value"><failure>x</failure></testcase>'
        + '<testcase classname="pkg.R" name="passed-then-skipped"><failure/></testcase>'
    )
    second = (
        cases("A", 60)  # every test of the first half again: reruns that passed twice
        + cases("B", 20, "<skipped message='off'/>")
        + '<testcase classname="pkg.R" name="flaky"/>'
        + '<testcase classname="pkg.R" name="late-failure"><failure message="now"/></testcase>'
        + '<testcase classname="pkg.R" name="skipped-later"><skipped/></testcase>'
        + '<testcase classname="pkg.R" name="passed-then-skipped"/>'
        + '<testcase classname="pkg.R" name="passed-then-skipped"><skipped/></testcase>'
    )
    path = tmp_path / "big.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="all">'
        f'<testsuite name="one">{first}{second}</testsuite>'
        f'<testsuite name="two">{cases("C", 5)}</testsuite></testsuites>\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(split, "SPLIT_BYTES", 1)
    at = split._split_point(path)
    assert at is not None
    assert path.read_bytes().find(b'name="flaky"/>') > at  # the later attempts: the child's
    one, two = both(path, monkeypatch)
    same(one, two)
    assert (tries.started, tries.absorbed) == (1, 1)
    statuses = {c.name: str(c.status) for c in two.cases if c.id.startswith("pkg.R")}
    assert statuses == {
        "flaky": "flaky",
        "late-failure": "failed",
        "skipped-later": "error",
        "token ***": "failed",
        "passed-then-skipped": "flaky",  # the latest attempt that ran passed
    }


def test_the_text_budget_spent_in_the_first_half_stays_spent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tries: Tries
) -> None:
    monkeypatch.setattr(fold_module, "MESSAGE_BUDGET", 200)
    monkeypatch.setattr(fold_module, "DETAILED_CASES", 3)
    path = tmp_path / "many.xml"
    failing = "".join(
        f'<testcase classname="c" name="t{i}"><failure message="message {i}">trace {i}'
        "</failure></testcase>"
        for i in range(120)
    )
    path.write_text(f'<testsuite name="s">{failing}</testsuite>', encoding="utf-8")
    one, two = both(path, monkeypatch)
    same(one, two)
    assert tries.absorbed == 1
    assert two.messages_cut > 60  # most of the second half has no room left


@pytest.mark.parametrize(
    ("opener", "closer"),
    [("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?note", "?>")],
    ids=["comment", "cdata", "processing-instruction"],
)
def test_a_split_point_inside_a_section_is_declined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tries: Tries, opener: str, closer: str
) -> None:
    """The middle of the file is inside a section whose text holds a `<testcase` start."""
    section = f"{opener} {'y' * 3000} <testcase name='ghost'/> {closer}"
    path = tmp_path / "section.xml"
    path.write_text(
        f'<testsuite name="s">{cases("A", 10)}<system-out>{section}</system-out>'
        f"{cases('B', 10)}</testsuite>",
        encoding="utf-8",
    )
    monkeypatch.setattr(split, "SPLIT_BYTES", 1)
    assert split._split_point(path) == path.read_bytes().find(b"<testcase name='ghost'")
    one, two = both(path, monkeypatch)
    same(one, two)
    assert (tries.started, tries.absorbed) == (1, 0)
    assert "ghost" not in {c.name for c in two.cases}


@pytest.mark.parametrize(
    "text",
    [
        # testsuites > outer > inner: the child guesses root + inner, this side knows better
        '<testsuites name="r"><testsuite name="outer"><testsuite name="inner">'
        f"{cases('A', 30)}{cases('B', 30, '<failure/>')}</testsuite></testsuite></testsuites>",
        # the split point is a testcase nested in another one, still open here
        '<testsuite name="s"><testcase name="outer" classname="c">'
        f"{cases('B', 40, '<failure/>')}</testcase></testsuite>",
    ],
    ids=["wrong-suites-guessed", "testcase-open-here"],
)
def test_a_split_point_this_side_disagrees_with_is_read_on_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tries: Tries, text: str
) -> None:
    path = tmp_path / "nested.xml"
    path.write_text(text, encoding="utf-8")
    one, two = both(path, monkeypatch)
    same(one, two)
    assert (tries.started, tries.absorbed) == (1, 0)


def test_unnamed_testcases_in_the_second_half_are_numbered_by_one_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tries: Tries
) -> None:
    path = tmp_path / "nameless.xml"
    nameless = '<testcase classname="c"><failure/></testcase>' * 20
    path.write_text(
        f'<testsuite name="s"><testcase classname="c"/>{cases("A", 20)}{nameless}</testsuite>',
        encoding="utf-8",
    )
    one, two = both(path, monkeypatch)
    same(one, two)
    assert two.nameless == 21
    assert (tries.started, tries.absorbed) == (1, 0)


def test_malformed_second_half_is_the_same_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tries: Tries
) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(
        f'<testsuite name="s">{cases("A", 30)}{cases("B", 30)}<testcase name="x"></testsuite>',
        encoding="utf-8",
    )
    one, two = both(path, monkeypatch)
    assert one.errors
    assert one.errors == two.errors
    assert (tries.started, tries.absorbed) == (1, 0)


def test_the_child_is_reaped_when_this_side_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tries: Tries
) -> None:
    path = tmp_path / "bad-start.xml"
    path.write_text(
        f'<testsuite name="s"><testcase name="a"></wrong>{cases("A", 60)}</testsuite>',
        encoding="utf-8",
    )
    monkeypatch.setattr(split, "SPLIT_BYTES", 1)
    with pytest.raises(JUnitReadError):
        scan_file(path, Folder(lambda s: s), AttributeCounts())
    assert tries.started == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(tries.pids[0], os.WNOHANG)  # reaped: not running, not even a zombie


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=document())
def test_random_documents_read_the_same_split_or_not(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """Nesting, reruns, nameless and not-run testcases (the oracle's documents), split where
    the middle happens to fall: taken or declined, the result is one reader's."""
    path = tmp_path_factory.mktemp("doc") / "report.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n', encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(split, "_usable_cpus", lambda: 2)
        one, two = both(path, patch)
    same(one, two)


PASSING = {"pass", "pass-output", "gtest-run"}
ATTEMPT = st.tuples(
    st.sampled_from("abcd"), st.sampled_from("xy"), st.sampled_from(sorted(OUTCOMES))
)


def _testcases(items: list[tuple[str, str, str]]) -> str:
    return "".join(
        f'<testcase classname="{cls}" name="{name}" time="0.5"{OUTCOMES[kind][1]}>'
        f"{OUTCOMES[kind][0]}</testcase>"
        for name, cls, kind in items
    )


@st.composite
def split_document(draw: st.DrawFn) -> tuple[str, int]:
    """(a document, where to split it): any attempts before the split; after it, passes and
    at most one other attempt per test (what the child's part may hold to be taken)."""
    first = draw(st.lists(ATTEMPT, min_size=1, max_size=25))
    second = draw(
        st.lists(ATTEMPT, min_size=1, max_size=25).filter(
            lambda items: (
                len({(n, c) for n, c, k in items if k not in PASSING})
                == sum(k not in PASSING for _, _, k in items)
            )
        )
    )
    head = f'<testsuites name="r"><testsuite name="s">{_testcases(first)}'
    text = f"{head}{_testcases(second)}</testsuite></testsuites>"
    return text, len(head.encode("utf-8"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document_and_split=split_document())
def test_reruns_across_the_split_fold_as_one_reader_folds_them(
    tmp_path_factory: pytest.TempPathFactory, document_and_split: tuple[str, int]
) -> None:
    """Every order of outcomes of one test on either side of the split point, taken."""
    text, at = document_and_split
    path = tmp_path_factory.mktemp("doc") / "reruns.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(split, "_usable_cpus", lambda: 2)
        # here, not at the middle; only in the read where splitting is on (SPLIT_BYTES 1)
        patch.setattr(split, "_split_point", lambda _: at if split.SPLIT_BYTES == 1 else None)
        absorbed: list[int] = []
        absorb = Folder.absorb
        patch.setattr(Folder, "absorb", lambda self, v: (absorbed.append(1), absorb(self, v)))
        one, two = both(path, patch)
    same(one, two)
    assert absorbed == [1]  # the child's part was taken, not read again here
