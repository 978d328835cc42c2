"""`decide` -> `Decision` -> `emit`: the only link between them is the object passed along."""

from __future__ import annotations

import gc
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate import pipeline
from gate.config import validate_config
from gate.model import SuiteRun, Verdict


def _junit(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.xml"
    path.write_text(f"<testsuite name='{name}'>{body}</testsuite>", encoding="utf-8")
    return path


def _case(name: str, failed: bool = False) -> str:
    failure = "<failure message='no'/>" if failed else ""
    return f"<testcase classname='t' name='{name}'>{failure}</testcase>"


def test_decision_holds_the_result_the_runs_and_where_each_body_is(tmp_path: Path) -> None:
    clean = _junit(tmp_path, "smoke", _case("a"))
    dirty = _junit(tmp_path, "e2e", _case("b\x1bc"))  # a raw escape: the reader cleans it
    runs = [SuiteRun("smoke", [clean]), SuiteRun("e2e", [dirty])]
    decision = pipeline.decide(runs, validate_config({}, env={}), target=None)
    assert decision.result.verdict is Verdict.PASS
    assert decision.runs == runs
    assert decision.spool_dir is not None
    assert decision.spool_dir.is_dir()
    assert set(decision.accepted) == {clean.resolve(), dirty.resolve()}
    # the clean file's text is its bytes: its body is a range of the file itself, no copy
    own = decision.body_for(clean)
    assert own is not None
    assert own.path == clean
    assert not own.owned
    assert clean.read_bytes()[own.start : own.end] == clean.read_bytes()
    # the other one's cleaned text went to a spool of the decision's own
    spooled = decision.body_for(dirty)
    assert spooled is not None
    assert spooled.owned
    assert spooled.path.parent == decision.spool_dir
    assert b"b?c" in spooled.path.read_bytes()


def test_emit_removes_the_decisions_spools(tmp_path: Path) -> None:
    runs = [SuiteRun("smoke", [_junit(tmp_path, "smoke", _case("a"))])]
    decision = pipeline.decide(runs, validate_config({}, env={}), target=None)
    assert decision.spool_dir is not None
    assert pipeline.emit(decision, tmp_path / "out") == 0
    assert not decision.spool_dir.exists()
    assert decision.accepted == {}


def test_emit_removes_the_spools_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = [SuiteRun("smoke", [_junit(tmp_path, "smoke", _case("a"))])]
    decision = pipeline.decide(runs, validate_config({}, env={}), target=None)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "write_merged", broken)
    with pytest.raises(OSError, match="disk full"):
        pipeline.emit(decision, tmp_path / "out")
    assert decision.spool_dir is not None
    assert not decision.spool_dir.exists()
    assert not (tmp_path / "out" / "result.json").exists()  # no result outlives a failure


def test_a_decision_never_emitted_leaves_no_spools(tmp_path: Path) -> None:
    """The runner asks "would this suite block?" with decisions it never emits."""
    runs = [SuiteRun("smoke", [_junit(tmp_path, "smoke", _case("a"))])]
    decision = pipeline.decide(runs, validate_config({}, env={}), target=None)
    folder = decision.spool_dir
    assert folder is not None
    assert folder.is_dir()
    del decision
    gc.collect()
    assert not folder.exists()


def test_two_decisions_in_one_process_do_not_mix(tmp_path: Path) -> None:
    """Interleaved: the first decision's merged file is its own, not the second's."""
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    config = validate_config({}, env={})
    first = pipeline.decide(
        [SuiteRun("smoke", [_junit(first_dir, "smoke", _case("one"))])], config, target=None
    )
    second = pipeline.decide(
        [SuiteRun("smoke", [_junit(second_dir, "smoke", _case("two", failed=True))])],
        config,
        target=None,
    )
    assert first.spool_dir != second.spool_dir
    assert pipeline.emit(second, tmp_path / "out2") == 1
    assert pipeline.emit(first, tmp_path / "out1") == 0
    names = [c.get("name") for c in ET.parse(tmp_path / "out1/junit/merged.xml").iter("testcase")]
    assert names == ["one"]


def test_a_file_changed_after_decide_is_read_again(tmp_path: Path) -> None:
    """A body is only used while the file is as the reader saw it."""
    path = _junit(tmp_path, "smoke", _case("before"))
    config = validate_config({}, env={})
    decision = pipeline.decide([SuiteRun("smoke", [path])], config, target=None)
    assert decision.body_for(path) is not None
    path.write_text("<testsuite name='smoke'>" + _case("after-and-longer") + "</testsuite>")
    assert decision.body_for(path) is None
    assert pipeline.emit(decision, tmp_path / "out") == 0
    names = [c.get("name") for c in ET.parse(tmp_path / "out/junit/merged.xml").iter("testcase")]
    assert names == ["after-and-longer"]  # read once more, as it is now


def test_the_pipeline_keeps_no_module_state() -> None:
    """No module-level container links `decide` to `emit` behind the caller's back."""
    mutable = {
        name
        for name, value in vars(pipeline).items()
        if not name.startswith("__") and isinstance(value, (dict, list, set))
    }
    assert mutable == set()
