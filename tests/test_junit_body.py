"""Where the merged JUnit file copies each input's body from: the file itself, or a spool.

A file whose text needed no cleaning is copied from its own bytes (no spool is written); any
cleaning (control characters, bad character references, invalid or non-UTF-8 bytes, cut runs)
sends it through a spool of the cleaned text. Either way the merged file must be exactly what
reading every file once more would give.
"""

from __future__ import annotations

import codecs
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate import pipeline
from gate.config import validate_config
from gate.junit.cap import CAP
from gate.junit.source import TextFacts, read_text
from gate.model import SuiteRun

DATA = Path(__file__).parent / "data" / "junit"
CASES = "<testcase classname='c' name='a'/><testcase classname='c' name='b'><failure/></testcase>"

# name -> (bytes of the file, whether its text is its bytes)
FILES: dict[str, tuple[bytes, bool]] = {
    "plain": (f"<testsuite name='s'>{CASES}</testsuite>\n".encode(), True),
    "declared": (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by x -->\n'
        f"<testsuite name='s'>{CASES}</testsuite>\n<!-- trailing -->\n".encode(),
        True,
    ),
    "unwrapped": (
        f"<?xml version='1.0'?><testsuites name='all' tests='2'>\n<testsuite name='s'>{CASES}"
        "</testsuite>\n<testsuite name='t'/></testsuites>\n\n".encode(),
        True,
    ),
    "empty suites": (b"<?xml version='1.0'?>\n<testsuites/>\n", True),
    "non-ascii": (f"<testsuite name='s\u00e9\u2603'>{CASES}</testsuite>".encode(), True),
    "bom": (codecs.BOM_UTF8 + f"<testsuite name='s'>{CASES}</testsuite>".encode(), True),
    "control": (f"<testsuite name='s\x1b[31m'>{CASES}</testsuite>".encode(), False),
    "charref": (f"<testsuite name='s&#27;x'>{CASES}</testsuite>".encode(), False),
    "bad byte": (b"<testsuite name='s\xff'>" + CASES.encode() + b"</testsuite>", False),
    "latin-1": (
        b"<?xml version='1.0' encoding='ISO-8859-1'?><testsuite name='caf\xe9'>"
        + CASES.encode()
        + b"</testsuite>",
        False,
    ),
    "utf-16": (
        codecs.BOM_UTF16_LE + f"<testsuite name='s'>{CASES}</testsuite>".encode("utf-16-le"),
        False,
    ),
    "huge message": (
        f"<testsuite name='s'><testcase classname='c' name='a'>"
        f"<failure message='{'x' * (CAP + 10)}'/></testcase></testsuite>".encode(),
        False,
    ),
}


@pytest.mark.parametrize("name", list(FILES))
def test_facts_say_whether_the_text_is_the_files_bytes(name: str, tmp_path: Path) -> None:
    raw, verbatim = FILES[name]
    path = tmp_path / "f.xml"
    path.write_bytes(raw)
    facts = TextFacts()
    text = "".join(read_text(path, facts))
    assert facts.verbatim is verbatim
    assert (facts.size, facts.read) == (len(raw), len(raw))
    if verbatim:
        assert text.encode("utf-8") == raw[facts.skipped :]


@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masked"])
def test_the_merged_file_is_the_same_from_bodies_as_from_reading_again(
    tmp_path: Path, masked: bool
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    files = []
    for index, (raw, _) in enumerate(FILES.values()):
        path = inputs / f"f{index}.xml"
        path.write_bytes(raw)
        files.append(path)
    files += sorted(DATA.glob("*.xml"))
    runs = [SuiteRun("one", files[:6]), SuiteRun("two", files[6:])]
    data = {"secrets": ["${GATE_T}"]} if masked else {}
    config = validate_config(data, env={"GATE_T": "xyzzy-secret"})
    with_bodies = pipeline.decide(runs, config, target=None)
    owned = {b.owned for b in with_bodies.accepted.values()}
    assert owned == {True, False}  # both kinds of body are exercised
    again = pipeline.decide(runs, config, target=None)
    again.close()  # no bodies: emit reads every file once more
    secret_values = config.secret_values
    first = _merged_with(with_bodies, tmp_path / "a", secret_values)
    second = _merged_with(again, tmp_path / "b", secret_values)
    assert first == second
    root = ET.fromstring(first)  # well-formed, every input nested once
    assert [s.get("name") for s in root.findall("testsuite")] == ["one", "two"]
    assert "x" * 100 in first
    assert "x" * (CAP + 1) not in first


def _merged_with(decision: pipeline.Decision, out: Path, secrets: frozenset[str]) -> str:
    pipeline.emit(decision, out, secrets=secrets)
    return (out / "junit" / "merged.xml").read_text(encoding="utf-8")


def test_a_body_from_the_file_itself_is_masked(tmp_path: Path) -> None:
    path = tmp_path / "e2e.xml"
    path.write_text(
        f"<testsuite name='s'><testcase classname='c' name='t[tok-1234]'/>{CASES}</testsuite>"
    )
    config = validate_config({"secrets": ["${GATE_T}"]}, env={"GATE_T": "tok-1234"})
    decision = pipeline.decide([SuiteRun("e2e", [path])], config, target=None)
    body = decision.body_for(path)
    assert body is not None
    assert not body.owned
    merged = _merged_with(decision, tmp_path / "out", config.secret_values)
    assert "tok-1234" not in merged
    assert "t[***]" in merged


def test_no_spool_is_written_for_files_that_need_no_cleaning(tmp_path: Path) -> None:
    path = tmp_path / "smoke.xml"
    path.write_bytes(FILES["declared"][0])
    config = validate_config({}, env={})
    decision = pipeline.decide([SuiteRun("smoke", [path])], config, target=None)
    assert decision.spool_dir is not None
    assert list(decision.spool_dir.iterdir()) == []
    decision.close()
