"""The streaming JUnit reader: producers' shapes, identity and reruns, and every bad input.

The XML files under tests/data/junit/ are hand-written; each starts with a comment naming the
producer behaviour it reproduces. Bad inputs that cannot carry a comment (JSON, 0 bytes,
invalid bytes) are written by the tests themselves.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gate.junit import JUnitData, read_junit, suite_name_for
from gate.junit.fold import parse_seconds
from gate.model import CaseStatus
from gate.redact import Redactor

DATA = Path(__file__).parent / "data" / "junit"


def statuses(data: JUnitData) -> dict[str, CaseStatus]:
    return {case.id: case.status for case in data.cases}


def test_surefire_flaky_and_rerun_elements() -> None:
    data = read_junit([DATA / "surefire_reruns.xml"])
    assert not data.errors
    assert statuses(data) == {
        "com.example.CheckoutTest::appliesCoupon": CaseStatus.FLAKY,
        "com.example.CheckoutTest::reservesStock": CaseStatus.FLAKY,
        "com.example.CheckoutTest::refunds": CaseStatus.FAILED,
        "com.example.CheckoutTest::emailsReceipt": CaseStatus.ERROR,
        "com.example.CheckoutTest::exportsPdf": CaseStatus.SKIPPED,
    }
    assert data.passed == 3  # paysWithCard + the two flaky ones
    flaky = next(c for c in data.cases if c.name == "reservesStock")
    assert "passed on retry after 2 failed attempt(s)" in flaky.message
    refunds = next(c for c in data.cases if c.name == "refunds")
    assert refunds.message == "refund not issued"
    assert "CheckoutTest.java:77" in refunds.detail


def test_verdict_comes_from_testcases_not_suite_attributes() -> None:
    data = read_junit([DATA / "attributes_lie.xml"])
    assert statuses(data) == {"smoke.auth::test_me_rejects_bad_token": CaseStatus.FAILED}
    assert data.passed == 1
    assert data.from_attributes.tests == 0  # attributes ignored: the file has testcases


def test_suite_attributes_count_only_without_testcases() -> None:
    data = read_junit([DATA / "counts_only.xml"])
    counts = data.from_attributes
    assert (counts.tests, counts.failed, counts.errors, counts.skipped) == (10, 2, 0, 1)


def test_jest_junit_ids_do_not_repeat_the_describe_block() -> None:
    data = read_junit([DATA / "jest_junit.xml"])
    assert statuses(data) == {
        "api client retries on 503": CaseStatus.FAILED,
        "api client streams events": CaseStatus.SKIPPED,
    }
    failed = data.cases[0]
    assert failed.message.startswith("Error: expect(received).toBe(expected)")
    assert "client.test.js:21:19" in failed.detail
    assert data.passed == 2


def test_mocha_empty_root_suite_and_cdata() -> None:
    data = read_junit([DATA / "mocha_junit.xml"])
    assert Counter(statuses(data).values()) == {CaseStatus.FAILED: 1, CaseStatus.SKIPPED: 1}
    failed = next(c for c in data.cases if c.status is CaseStatus.FAILED)
    assert failed.message == "expected 'running' to equal 'cancelled'"
    assert "Context.<anonymous>" in failed.detail
    assert data.passed == 1
    assert data.from_attributes.tests == 0


def test_gotestsum_reruns_fold_into_flaky_and_failed() -> None:
    data = read_junit([DATA / "gotestsum_rerun.xml"])
    assert statuses(data) == {
        "example.com/svc/api::TestRetry": CaseStatus.FLAKY,
        "example.com/svc/api::TestBroken": CaseStatus.FAILED,
        "example.com/svc/api::TestSlow": CaseStatus.SKIPPED,
    }
    assert data.testcases == 6
    assert data.passed == 2  # TestHealth, TestRetry (flaky counts as passed)
    broken = next(c for c in data.cases if c.name == "TestBroken")
    assert broken.message.startswith("failed in all 2 attempts")


def test_playwright_and_k6() -> None:
    pw = read_junit([DATA / "playwright.xml"])
    assert statuses(pw) == {
        "checkout.spec.ts::checkout › shows receipt": CaseStatus.FAILED,
        "checkout.spec.ts::checkout › exports pdf": CaseStatus.SKIPPED,
    }
    assert "trace.zip" in pw.cases[0].detail
    k6 = read_junit([DATA / "k6_summary.xml"])
    assert statuses(k6) == {"k6 thresholds::http_req_duration - p(95)<500": CaseStatus.FAILED}
    assert k6.passed == 1


def test_namespaced_root_nested_suites_missing_attributes_decimal_comma() -> None:
    data = read_junit([DATA / "namespaced_nested.xml"])
    assert not data.errors
    # "first" exists in two inner suites: two different tests, not a rerun.
    assert data.passed == 2
    assert statuses(data) == {"inner-a::second": CaseStatus.ERROR}
    assert data.duration_s == pytest.approx(2.0)  # 0,5 + 1.5


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0,5", 0.5), ("1.25", 1.25), ("1,234.5", 1234.5), ("", 0.0), ("abc", 0.0), ("-3", 0.0)],
)
def test_time_attribute(text: str, seconds: float) -> None:
    assert parse_seconds(text) == pytest.approx(seconds)


def test_priority_tier_property() -> None:
    data = read_junit([DATA / "priority_tiers.xml"])
    assert {c.name: c.tier for c in data.cases} == {"test_login": "p1", "test_footer_links": "p5"}


def test_duplicates_across_files_are_reruns(tmp_path: Path) -> None:
    first = tmp_path / "run1.xml"
    rerun = tmp_path / "run2.xml"
    first.write_text(
        '<testsuite name="pytest"><testcase classname="t" name="a"><failure message="x"/>'
        '</testcase><testcase classname="t" name="b"><skipped/></testcase>'
        '<testcase classname="t" name="c"><error message="e1"/></testcase></testsuite>'
    )
    rerun.write_text(
        '<testsuite name="pytest"><testcase classname="t" name="a"/>'
        '<testcase classname="t" name="b"/>'
        '<testcase classname="t" name="c"><failure message="f2"/></testcase></testsuite>'
    )
    data = read_junit([first, rerun])
    assert statuses(data) == {"t::a": CaseStatus.FLAKY, "t::c": CaseStatus.ERROR}
    assert data.passed == 2  # a (flaky) and b (skipped once, passed once)
    assert next(c for c in data.cases if c.name == "c").message.endswith("e1")


def test_same_file_given_twice_is_read_once(tmp_path: Path) -> None:
    data = read_junit([DATA / "jest_junit.xml", DATA, str(DATA / "jest*.xml")])
    assert data.testcases > 0
    assert sum(1 for f in data.files if f.name == "jest_junit.xml") == 1


def test_folder_and_glob_inputs() -> None:
    by_glob = read_junit([str(DATA / "**" / "jest_*.xml")])
    assert [f.name for f in by_glob.files] == ["jest_junit.xml"]
    by_folder = read_junit([DATA])
    assert len(by_folder.files) == len(list(DATA.glob("*.xml"))) - len(by_folder.errors)


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_dtd_attacks_are_refused_and_never_expanded(name: str) -> None:
    data = read_junit([DATA / name])
    assert data.testcases == 0
    assert len(data.errors) == 1
    assert str(DATA / name) in data.errors[0]
    assert "DTD" in data.errors[0]
    assert "root:" not in data.errors[0]
    assert "lollol" not in data.errors[0]


def test_bad_files_are_errors_naming_the_file_and_others_still_read(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    json_file = tmp_path / "report.xml"
    json_file.write_text('{"tests": 3, "failures": 0}')
    data = read_junit(
        [
            empty,
            json_file,
            DATA / "truncated.xml",
            DATA / "html_page.xml",
            tmp_path / "missing.xml",
            str(tmp_path / "nothing-*.xml"),
            DATA / "jest_junit.xml",
        ]
    )
    errors = "\n".join(data.errors)
    assert f"{empty}: the file is empty (0 bytes)" in errors
    assert f"{json_file}: not JUnit XML: the file looks like JSON" in errors
    assert f"{DATA / 'truncated.xml'}: malformed or truncated XML" in errors
    assert "unclosed token: line 6, column 4" in errors  # where expat gave up
    assert f"{DATA / 'html_page.xml'}: not JUnit XML: the file is HTML" in errors
    assert f"{tmp_path / 'missing.xml'}: no such file or folder" in errors
    assert "nothing-*.xml: the glob matched no file" in errors
    assert len(data.errors) == 6
    assert data.files == [DATA / "jest_junit.xml"]
    assert data.passed == 2 + 1  # jest's two, plus truncated.xml's test_one read before the cut


def test_folder_without_xml_and_wrong_root(tmp_path: Path) -> None:
    (tmp_path / "empty-folder").mkdir()
    (tmp_path / "notes.xml").write_text("<notes><note>hi</note></notes>")
    data = read_junit([tmp_path / "empty-folder", tmp_path / "notes.xml"])
    assert data.errors == [
        f"{tmp_path / 'empty-folder'}: the folder contains no *.xml file",
        f"{tmp_path / 'notes.xml'}: not a JUnit report: the root element is <notes>, "
        "expected <testsuites> or <testsuite>",
    ]


def test_non_utf8_bytes_and_control_characters_are_cleaned(tmp_path: Path) -> None:
    latin = tmp_path / "latin.xml"
    latin.write_bytes(
        b'<testsuite name="s"><testcase classname="caf\xe9" name="t\x1b[31mred\x00">'
        b'<failure message="bad \xff byte &#27; &#x1; ok"/></testcase></testsuite>'
    )
    declared = tmp_path / "declared.xml"
    declared.write_bytes(
        b'<?xml version="1.0" encoding="ISO-8859-1"?><testsuite name="s">'
        b'<testcase classname="caf\xe9" name="n"><skipped message="\xe9t\xe9"/></testcase>'
        b"</testsuite>"
    )
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(
        '<?xml version="1.0" encoding="UTF-16"?><testsuite name="s"><testcase name="ü">'
        "<error/></testcase></testsuite>".encode("utf-16")
    )
    data = read_junit([latin, declared, utf16])
    assert not data.errors
    by_status = {c.status: c for c in data.cases}
    failed = by_status[CaseStatus.FAILED]
    assert failed.id == "caf\ufffd::t?[31mred?"
    assert failed.message == "bad \ufffd byte ? ? ok"
    assert by_status[CaseStatus.SKIPPED].id == "café::n"
    assert by_status[CaseStatus.SKIPPED].message == "été"
    assert by_status[CaseStatus.ERROR].name == "ü"


def test_huge_failure_message_is_bounded(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    line = "x" * 99 + "\n"
    with big.open("w") as fh:
        fh.write('<testsuite name="s"><testcase name="t"><failure message="')
        fh.write("m" * 5_000)
        fh.write('">')
        for _ in range(500_000):  # 50 MB of trace
            fh.write(line)
        fh.write("</failure></testcase></testsuite>")
    data = read_junit([big])
    case = data.cases[0]
    assert len(case.message) < 2_100
    assert case.message.endswith("[truncated 3000 chars]")
    assert len(case.detail) < 8_100
    assert case.detail.endswith("[truncated 49992000 chars]")  # 50 MB less the 8,000 kept


def test_text_is_redacted_as_it_enters(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuite name="s"><testcase name="login[hunter2-secret]">'
        '<failure message="sent Authorization: Bearer abc.def">token=hunter2-secret</failure>'
        "</testcase></testsuite>"
    )
    data = read_junit([report], redact=Redactor({"hunter2-secret"}))
    case = data.cases[0]
    assert "hunter2" not in case.id + case.message + case.detail
    assert case.message == "sent Authorization: Bearer ***"


def test_read_errors_are_redacted_and_stay_readable(tmp_path: Path) -> None:
    """Paths and root tags in read errors can carry a secret; expat's own words are kept."""
    wrong_root = tmp_path / "wrong.xml"
    wrong_root.write_text("<hunter2secret/>")
    truncated = tmp_path / "truncated.xml"
    truncated.write_text('<testsuite name="s">\n<testcase name="a">\n<fail')
    missing = tmp_path / "hunter2secret-run" / "x.xml"
    data = read_junit([wrong_root, truncated, missing], redact=Redactor({"hunter2secret"}))
    assert len(data.errors) == 3
    assert not any("hunter2" in e for e in data.errors)
    assert any("unclosed token: line 3" in e for e in data.errors)


def test_many_unique_tests_fold_without_python_objects_per_test(tmp_path: Path) -> None:
    report = tmp_path / "many.xml"
    with report.open("w") as fh:
        fh.write('<testsuite name="s">')
        for i in range(20_000):
            fh.write(f'<testcase classname="c{i % 7}" name="t{i}"/>')
        for i in range(0, 20_000, 1000):  # reruns of passed tests: still 20,000 unique
            fh.write(f'<testcase classname="c{i % 7}" name="t{i}"/>')
        fh.write('<testcase classname="c0" name="t0"><failure message="late"/></testcase>')
        fh.write("</testsuite>")
    data = read_junit([report])
    assert data.testcases == 20_021
    assert data.passed == 19_999
    assert statuses(data) == {"c0::t0": CaseStatus.FAILED}  # its latest attempt failed


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("reports/smoke.xml", "smoke"),
        ("reports/TEST-com.example.Foo.xml", "TEST-com.example.Foo"),
        ("reports/e2e/", "e2e"),
        ("shards/*.xml", "shards"),
        ("build/test-results/**/*.xml", "test-results"),
    ],
)
def test_suite_names_for_inputs(
    spec: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports" / "e2e").mkdir(parents=True)
    assert suite_name_for(spec) == name


def test_flaky_message_says_how_often_it_failed(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuite name="s">'
        + '<testcase classname="c" name="t"><failure message="timeout"/></testcase>' * 2
        + '<testcase classname="c" name="t"/></testsuite>'
    )
    (case,) = read_junit([report]).cases
    assert case.status is CaseStatus.FLAKY
    assert case.message == "failed 2 times, then passed on a rerun: timeout"


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?>\n<!-- a comment first -->\n<?pi x?>\n'
        b'<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/hostname">]><testsuite name="&x;"/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE t [<!ENTITY x SYSTEM '
        '"file:///etc/hostname">]><testsuite name="&x;"/>'.encode("utf-16"),
        b'\xef\xbb\xbf<!DOCTYPE t SYSTEM "http://127.0.0.1:9/x.dtd"><testsuite/>',
    ],
    ids=["after-comment-and-pi", "utf-16", "bom-external-dtd"],
)
def test_every_doctype_is_refused(tmp_path: Path, content: bytes) -> None:
    report = tmp_path / "r.xml"
    report.write_bytes(content)
    data = read_junit([report])
    assert len(data.errors) == 1
    assert "refused: the file declares a DTD" in data.errors[0]


def test_undeclared_entity_is_a_parse_error(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    report.write_text('<testsuite name="s"><testcase name="&secret;"/></testsuite>')
    (error,) = read_junit([report]).errors
    assert "undefined entity" in error


def test_testcases_directly_under_testsuites_and_testcase_root(tmp_path: Path) -> None:
    flat = tmp_path / "flat.xml"
    flat.write_text('<testsuites name="all"><testcase name="a"/><testcase name="b"/></testsuites>')
    lone = tmp_path / "lone.xml"
    lone.write_text('<testcase name="a"><failure/></testcase>')
    data = read_junit([flat, lone])
    assert data.passed == 2
    assert data.errors == [
        f"{lone}: not a JUnit report: the root element is <testcase>, "
        "expected <testsuites> or <testsuite>"
    ]


def test_gradle_test_retry_attempts_are_separate_testcases() -> None:
    data = read_junit([DATA / "gradle_retry.xml"])
    assert statuses(data) == {
        "com.example.OrdersTest::cancelsOrder()": CaseStatus.FLAKY,
        "com.example.OrdersTest::refundsOrder()": CaseStatus.FAILED,
    }
    assert data.passed == 2
    refunds = next(c for c in data.cases if c.name == "refundsOrder()")
    assert (
        refunds.message == "failed in all 2 attempts: java.lang.IllegalStateException: no payment"
    )


def test_every_field_of_a_folded_case_comes_from_its_own_source(tmp_path: Path) -> None:
    """`_fold` builds cases by position (speed): each field must still get its own value."""
    report = tmp_path / "one.xml"
    report.write_text(
        '<testsuite name="s"><testcase classname="pkg.C" name="t" file="t.py" line="12" '
        'time="1.23456"><properties><property name="priority" value="P2"/></properties>'
        '<failure message="boom">trace line</failure></testcase></testsuite>',
        encoding="utf-8",
    )
    (case,) = read_junit([report]).cases
    assert (case.id, case.name, case.outcome, case.status) == (
        "pkg.C::t",
        "t",
        "failed",
        CaseStatus.FAILED,
    )
    assert (case.message, case.detail) == ("boom", "trace line")
    assert (case.duration_s, case.file, case.line, case.tier) == (1.235, "t.py", 12, "p2")
