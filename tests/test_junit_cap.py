"""The stream capper: huge runs are cut, the document stays well-formed, short runs untouched."""

from __future__ import annotations

import random
import resource
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.junit import read_junit
from gate.junit.cap import cap_runs

CAP = 100
BIG = 5_000


def chunked(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


DOCUMENTS = {
    "attribute then text": (
        f'<t><f message="{"m" * BIG}" type="x">{"y" * BIG}</f><ok name="z"/></t>'
    ),
    "single-quoted attribute": f"<t><f message='{'q' * BIG}'/></t>",
    "text with entities": f"<t><f>{'a&amp;b&lt;' * (BIG // 10)}</f></t>",
    "cdata with markup chars": f"<t><f><![CDATA[{'<x> ]] > ' * 10}{'c' * BIG}]]></f></t>",
    "comment": f"<t><!--{'c-' * BIG}c--><f/></t>",
    "processing instruction": f"<t><?pi {'p' * BIG}?><f/></t>",  # passed through, uncut
    "short runs only": "<t>" + "<f a='1'>text</f>" * 500 + "</t>",
}


@pytest.mark.parametrize("name", list(DOCUMENTS))
@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_output_parses_and_is_bounded(name: str, size: int) -> None:
    document = DOCUMENTS[name]
    out = "".join(cap_runs(chunked(document, size), cap=CAP))
    root = ET.fromstring(out)
    for element in root.iter():
        for value in [element.text or "", *element.attrib.values()]:
            assert len(value) <= CAP + 40
    if name in ("short runs only", "processing instruction"):
        assert out == document
    else:
        assert "[truncated " in out


def test_cut_counts_what_it_dropped() -> None:
    out = "".join(cap_runs(chunked(f"<t>{'z' * 1000}</t>", 64), cap=100))
    assert out == f"<t>{'z' * 98}[truncated 902 chars]</t>"  # the run starts after "<"


def test_huge_attribute_message_is_read_fast_and_small(tmp_path: Path) -> None:
    """50 MB in a `message` attribute: without the cap expat 2.5 rescans it for minutes."""
    report = tmp_path / "big.xml"
    with report.open("w") as fh:
        fh.write('<testsuite name="s"><testcase name="t"><failure message="')
        for _ in range(500):
            fh.write("m" * 100_000)
        fh.write('" type="Big">trace</failure></testcase><testcase name="u"/></testsuite>')
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    data = read_junit([report])
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert not data.errors
    assert data.passed == 1
    (case,) = data.cases
    assert case.message.endswith("[truncated 49998000 chars]")
    assert case.detail == "trace"
    assert grown_mib < 40  # never the 50 MB, let alone twice


def random_document(rng: random.Random) -> str:
    parts = ["<r>"]
    for i in range(rng.randint(1, 30)):
        value = "".join(
            rng.choice(["v", "&amp;", "&#65;", ">", "'", " "]) for _ in range(rng.randint(0, 120))
        )
        text = "".join(
            rng.choice(["t", "&lt;", "]]", "--", '"', "\n"]) for _ in range(rng.randint(0, 150))
        )
        kind = rng.choice(["plain", "cdata", "comment", "empty"])
        if kind == "cdata":
            body = f"<![CDATA[{'<c>]] >' * rng.randint(0, 30)}]]>{text}"
        elif kind == "comment":
            body = f"<!--{'c-' * rng.randint(0, 80)}c-->{text}"
        else:
            body = "" if kind == "empty" else text
        parts.append(f"<e{i} a=\"{value}\" b='x'>{body}</e{i}>")
    parts.append("</r>")
    return "".join(parts)


def test_random_documents_keep_their_structure() -> None:
    rng = random.Random(20251122)
    for _ in range(300):
        document = random_document(rng)
        size = rng.choice([1, 2, 3, 5, 9, 10, 17, 50, 51, 400])
        out = "".join(cap_runs(chunked(document, size), cap=50))
        original, capped = ET.fromstring(document), ET.fromstring(out)
        assert [e.tag for e in capped.iter()] == [e.tag for e in original.iter()]
        for before, after in zip(original.iter(), capped.iter(), strict=True):
            for key, value in before.attrib.items():
                assert after.attrib[key] == value or "[truncated " in after.attrib[key]
            assert (after.text or "") == (before.text or "") or "[truncated " in after.text
