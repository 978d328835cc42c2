"""Configured secrets are masked in every JUnit copy the gate writes (issue 10, item 5)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.cli import main
from gate.junit.mask import CHUNK, Masker

pytestmark = pytest.mark.timeout(120)

SECRET = "tok-9f8e7d6c5b4a"


def test_passed_names_and_messages_are_masked_in_copies_and_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", SECRET)
    config = tmp_path / "gate.toml"
    config.write_text('secrets = ["${API_TOKEN}"]\n')
    report = tmp_path / "e2e.xml"
    report.write_text(
        '<?xml version="1.0"?>\n<testsuite name="s">'
        f'<testcase classname="c" name="test_login[{SECRET}]"/>'  # a passed parametrised id
        f'<testcase classname="c" name="t"><system-out>sent {SECRET}</system-out></testcase>'
        f'<testcase classname="c" name="u" attr="a&amp;{SECRET}"/>'
        "</testsuite>\n"
    )
    external = tmp_path / "ext" / "smoke.xml"  # a UTF-16 file from another producer
    external.parent.mkdir()
    external.write_bytes(
        '<?xml version="1.0" encoding="UTF-16"?>'
        f'<testsuite name="x"><testcase classname="c" name="{SECRET}"/></testsuite>'.encode(
            "utf-16"
        )
    )
    out = tmp_path / "out"
    code = main(["report", str(report), str(external), "--config", str(config), "--out", str(out)])
    assert code == 0
    copies = sorted((out / "junit").glob("*.xml"))
    assert [p.name for p in copies] == ["e2e.xml", "merged.xml", "smoke.xml"]
    for copy in copies:
        data = copy.read_bytes()
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert SECRET.encode(encoding) not in data, copy.name
        ET.fromstring(data)  # still well-formed XML
    assert "test_login[***]" in (out / "junit" / "e2e.xml").read_text()
    assert "test_login[***]" in (out / "junit" / "merged.xml").read_text()
    smoke = (out / "junit" / "smoke.xml").read_bytes().decode("utf-16")
    assert 'name="***"' in smoke


def test_without_secrets_copies_are_byte_for_byte(tmp_path: Path) -> None:
    report = tmp_path / "smoke.xml"
    report.write_text(f'<testsuite name="s"><testcase name="{SECRET}"/></testsuite>')
    out = tmp_path / "out"
    assert main(["report", str(report), "--out", str(out)]) == 0
    assert (out / "junit" / "smoke.xml").read_bytes() == report.read_bytes()


def test_no_masker_for_values_too_short_to_mask() -> None:
    assert Masker.for_values(["", "abc"]) is None


@settings(max_examples=60, deadline=None)
@given(
    secret=st.text(st.characters(codec="utf-8"), min_size=4, max_size=40),
    before=st.integers(0, CHUNK + 50),
    count=st.integers(1, 3),
)
def test_a_value_cut_by_a_chunk_boundary_is_still_masked(
    secret: str, before: int, count: int
) -> None:
    masker = Masker.for_values([secret])
    assert masker is not None
    filler = b"x" * before
    source = filler + (secret.encode() + b"y") * count
    target = io.BytesIO()
    masker.copy(io.BytesIO(source), target)
    assert target.getvalue() == masker.mask(source)
    assert secret.encode() not in target.getvalue()
