"""The gate's counts against an independent oracle: junitparser plus the documented rules.

Hypothesis writes random JUnit documents (nested suites, testcases under <testsuites>, missing
attributes, reruns in any order, every skipped/not-run variant, Surefire flaky/rerun elements,
nameless testcases). The oracle reads each with junitparser (names, classnames and results come
from it; the Surefire extensions and the not-run attributes, which junitparser does not model,
from its elements) and folds attempts by the rules in docs/junit.md, written here a second time
without the reader's hashing and budgets. The gate's reader must agree on every count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from gate.junit import read_junit

pytestmark = pytest.mark.timeout(300)

NOT_RUN = {"disabled", "notrun", "not_run", "skipped", "suppressed"}

# (child elements, extra attributes) of one attempt
OUTCOMES = {
    "pass": ("", ""),
    "pass-output": ("<system-out>hi</system-out><properties/>", ""),
    "failure": ('<failure message="f">trace</failure>', ""),
    "error": ('<error message="e" type="X"/>', ""),
    "skipped": ('<skipped message="s"/>', ""),
    "disabled": ("", ' status="disabled"'),
    "notrun": ("", ' status="notrun" result="suppressed"'),
    "gtest-skip": ("", ' status="run" result="skipped"'),
    "gtest-run": ("", ' status="run" result="completed"'),
    "flaky": ('<flakyFailure message="t"><stackTrace>x</stackTrace></flakyFailure>', ""),
    "rerun-failed": ('<failure message="f"/><rerunFailure message="again"/>', ""),
    "failure-notrun": ('<failure message="f"/>', ' status="notrun"'),
    "error-and-skip": ("<skipped/><error/>", ""),
}


@st.composite
def case_xml(draw: st.DrawFn) -> str:
    attrs = ""
    name = draw(st.sampled_from(["a", "b", "c", "", " ", None]))
    if name is not None:
        attrs += f' name="{name}"'
    classname = draw(st.sampled_from(["x", "y", None]))
    if classname is not None:
        attrs += f' classname="{classname}"'
    if draw(st.booleans()):
        attrs += ' file="f.py"'
    time = draw(st.sampled_from([None, "0.5", "0,25", "junk", "-1"]))
    if time is not None:
        attrs += f' time="{time}"'
    children, extra = OUTCOMES[draw(st.sampled_from(sorted(OUTCOMES)))]
    return (
        f"<testcase{attrs}{extra}>{children}</testcase>"
        if children
        else f"<testcase{attrs}{extra}/>"
    )


def suite_xml(depth: int) -> st.SearchStrategy[str]:
    items: st.SearchStrategy[str] = case_xml()
    if depth > 0:
        items = st.one_of(case_xml(), case_xml(), suite_xml(depth - 1))

    @st.composite
    def build(draw: st.DrawFn) -> str:
        name = draw(st.sampled_from(["s", "t", None]))
        head = "<testsuite" + (f' name="{name}"' if name is not None else "")
        if draw(st.booleans()):
            head += ' tests="99" failures="0"'  # attributes that lie: never counted
        body = "".join(draw(st.lists(items, max_size=6)))
        return f"{head}>{body}</testsuite>"

    return build()


@st.composite
def document(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(suite_xml(2))
    inner = draw(st.lists(st.one_of(suite_xml(2), case_xml()), max_size=4))
    return f'<testsuites name="all">{"".join(inner)}</testsuites>'


@dataclass
class _Test:
    kinds: set[str] = field(default_factory=set)
    last_ran: str | None = None


def _attempt(case: TestCase) -> str:
    """pass, fail, error, flaky (passed on a retry) or skip: one attempt, by the rules."""
    results = case.result
    tags = {child.tag for child in case._elem}
    if any(isinstance(r, Error) for r in results) or "rerunError" in tags:
        return "error"
    if any(isinstance(r, Failure) for r in results) or "rerunFailure" in tags:
        return "fail"
    if tags & {"flakyFailure", "flakyError"}:
        return "flaky"
    not_run = {(case._elem.get(a) or "").strip().lower() for a in ("status", "result")}
    if any(isinstance(r, Skipped) for r in results) or not_run & NOT_RUN:
        return "skip"
    return "pass"


def oracle(text: str) -> Counter[str]:
    root = JUnitXml.fromstring(text)
    tests: dict[tuple[object, ...], _Test] = {}
    nameless = 0

    def walk(element: Element, suite_name: str) -> None:
        nonlocal nameless
        for child in element:
            if child.tag in ("testsuite", "testsuites"):
                walk(child, TestSuite.fromelem(child).name or "")
            elif child.tag == "testcase":
                case = TestCase.fromelem(child)
                name = case.name or ""
                key: tuple[object, ...] = (
                    suite_name,
                    case.classname or "",
                    name,
                    child.get("file") or "",
                )
                if not name.strip():
                    nameless += 1
                    key = (*key, nameless)
                test = tests.setdefault(key, _Test())
                outcome = _attempt(case)
                test.kinds.add(outcome)
                if outcome in ("pass", "flaky"):
                    test.last_ran = "pass"
                elif outcome in ("fail", "error"):
                    test.last_ran = outcome

    element = root._elem
    walk(element, element.get("name") or "")
    counts: Counter[str] = Counter()
    for test in tests.values():
        failed_before = test.kinds & {"fail", "error", "flaky"}
        if test.last_ran in ("fail", "error"):
            counts["error" if "error" in test.kinds else "failed"] += 1
        elif test.last_ran == "pass":
            counts["passed"] += 1
            counts["flaky"] += 1 if failed_before else 0
        else:
            counts["skipped"] += 1
    counts["nameless"] = nameless
    return +counts


def gate_counts(path: Path) -> Counter[str]:
    data = read_junit([path])
    assert not data.errors, data.errors
    counts: Counter[str] = Counter(str(c.status) for c in data.cases)
    counts["passed"] = data.passed
    counts["nameless"] = data.nameless
    return +counts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=document())
def test_gate_counts_agree_with_the_junitparser_oracle(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("doc") / "report.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n')
    assert gate_counts(path) == oracle(text), text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=document(), second=document())
def test_reruns_across_files_fold_in_argument_order(
    tmp_path_factory: pytest.TempPathFactory, first: str, second: str
) -> None:
    """Two files, in order, fold like one document holding both (the second after the first)."""
    folder = tmp_path_factory.mktemp("docs")
    paths = [folder / "1.xml", folder / "2.xml"]
    for path, text in zip(paths, (first, second), strict=True):
        path.write_text(text)
    data = read_junit(paths)
    assert not data.errors
    counts: Counter[str] = Counter(str(c.status) for c in data.cases)
    counts["passed"] = data.passed
    counts["nameless"] = data.nameless
    both = f'<testsuites name="all">{_as_child(first)}{_as_child(second)}</testsuites>'
    assert +counts == oracle(both), (first, second)


def _as_child(text: str) -> str:
    """A document's content as children of an outer <testsuites> with the same suite names."""
    if text.startswith("<testsuites"):
        return text[text.index(">") + 1 : -len("</testsuites>")] if not text.endswith("/>") else ""
    return text
