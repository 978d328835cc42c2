"""`baseline: auto`: the newest baseline artifact, listed, downloaded and unpacked through the
fake GitHub (real HTTP on loopback), and the action's baseline step around it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fake_github import FakeGitHub

from gate.action import artifact_name
from gate.cli import main
from gate.github.artifacts import BaselineUnavailable, fetch_baseline, unpack
from gate.model import GateResult

NAME = "deploy-gate-baseline-staging"
PASS_XML = (
    b'<testsuites><testsuite name="e2e"><testcase classname="api" name="a"/></testsuite>'
    b"</testsuites>"
)


def outputs_of(tmp_path: Path, name: str, verdict_pass: bool = True) -> dict[str, bytes]:
    """The files of an earlier run's output folder (made by `gate report`)."""
    xml = tmp_path / name / "e2e.xml"
    xml.parent.mkdir(parents=True)
    xml.write_bytes(
        PASS_XML if verdict_pass else PASS_XML.replace(b"/>", b"><failure/></testcase>")
    )
    out = tmp_path / name / "out"
    main(["report", str(xml), "--out", str(out)])
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def fetch(gh: FakeGitHub, dest: Path, token: str = FakeGitHub.READ_TOKEN) -> Path:
    return fetch_baseline(
        api_url=gh.url, repository=gh.repository, token=token, name=NAME, dest=dest
    )


def test_the_newest_unexpired_artifact_is_downloaded_without_the_token_at_storage(
    tmp_path: Path,
) -> None:
    with FakeGitHub() as gh:
        gh.add_artifact(NAME, outputs_of(tmp_path, "old"), age_s=3600, head_sha="old")
        newest = outputs_of(tmp_path, "new")
        gh.add_artifact(NAME, newest, age_s=60, head_sha="new")
        gh.add_artifact(NAME, outputs_of(tmp_path, "gone"), age_s=1, expired=True)
        gh.add_artifact("deploy-gate-baseline-production", outputs_of(tmp_path, "prod"))
        dest = fetch(gh, tmp_path / "dest")
        assert gh.errors == []
        assert gh.count("GET", r"/_fake/blobs/") == 1  # the fake refuses a request with a token
        listing = gh.calls("GET", r"/actions/artifacts$")[0]
        assert listing.query["name"] == NAME
    assert (dest / "result.json").read_bytes() == newest["result.json"]
    assert GateResult.from_json(json.loads((dest / "result.json").read_text())).verdict == "pass"


def test_nothing_stored_or_only_expired_says_so(tmp_path: Path) -> None:
    with FakeGitHub() as gh:
        with pytest.raises(BaselineUnavailable, match="no passing run has stored one yet"):
            fetch(gh, tmp_path / "a")
        gh.add_artifact(NAME, outputs_of(tmp_path, "x"), expired=True)
        with pytest.raises(BaselineUnavailable, match=r"\(1 expired\)"):
            fetch(gh, tmp_path / "b")


def test_an_artifact_expiring_between_listing_and_download_is_reported(tmp_path: Path) -> None:
    with FakeGitHub() as gh:
        aid = gh.add_artifact(NAME, outputs_of(tmp_path, "x"))

        def expire(fake: FakeGitHub, answer: object) -> None:
            fake._state.artifacts[aid]["expired"] = True

        gh.after_next("GET", r"/actions/artifacts$", expire)
        with pytest.raises(BaselineUnavailable, match=f"baseline artifact {aid} has expired"):
            fetch(gh, tmp_path / "dest")


def test_a_bad_token_or_a_server_error_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    with FakeGitHub() as gh:
        with pytest.raises(BaselineUnavailable, match="HTTP 401 Bad credentials"):
            fetch(gh, tmp_path / "a", token="wrong")
        gh.fail_next("GET", r"/actions/artifacts$", 503)
        with pytest.raises(BaselineUnavailable, match="HTTP 503"):
            fetch(gh, tmp_path / "b")


def test_an_artifact_of_a_blocked_run_is_not_a_baseline(tmp_path: Path) -> None:
    with FakeGitHub() as gh:
        gh.add_artifact(NAME, outputs_of(tmp_path, "x", verdict_pass=False))
        with pytest.raises(BaselineUnavailable, match="verdict was 'block'"):
            fetch(gh, tmp_path / "dest")


@pytest.mark.parametrize("entry", ["../escape.txt", "/etc/evil", "a/../../b"])
def test_unsafe_zip_entries_are_refused(tmp_path: Path, entry: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, "x")
    with pytest.raises(BaselineUnavailable, match="refused entry"):
        unpack(buffer.getvalue(), tmp_path / "dest", "artifact")
    assert not (tmp_path / "escape.txt").exists()
    with pytest.raises(BaselineUnavailable, match="not a readable zip"):
        unpack(b"PK\x03\x04 broken", tmp_path / "dest2", "artifact")


def test_artifact_names_are_safe() -> None:
    assert artifact_name("staging") == NAME
    assert artifact_name('pr-7: "preview"/x') == "deploy-gate-baseline-pr-7- -preview-x"
    assert artifact_name("") == "deploy-gate-baseline-default"


# --- the action's baseline step -----------------------------------------------------------------


def step(name: str, env: dict[str, str], tmp_path: Path) -> tuple[int, str, dict[str, str]]:
    out_file = tmp_path / f"output-{name}.txt"
    out_file.write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "gate.action", name],
        env={**os.environ, **env, "GITHUB_OUTPUT": str(out_file)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    outputs: dict[str, str] = {}
    lines = iter(out_file.read_text().splitlines())
    for line in lines:
        key, delim = line.split("<<", 1)
        outputs[key] = "\n".join(iter(lines.__next__, delim))
    return proc.returncode, proc.stdout + proc.stderr, outputs


def action_env(gh: FakeGitHub, tmp_path: Path, baseline: str) -> dict[str, str]:
    return {
        "GATE_INPUT_BASELINE": baseline,
        "GATE_INPUT_ENVIRONMENT": "staging",
        "GATE_INPUT_GITHUB_TOKEN": FakeGitHub.READ_TOKEN,
        "GATE_INPUT_JUNIT": "e2e.xml",
        "GATE_INPUT_PUBLISH": "summary",
        "GITHUB_API_URL": gh.url,
        "GITHUB_REPOSITORY": gh.repository,
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
    }


def test_baseline_step_auto_downloads_and_the_run_compares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "e2e.xml").write_bytes(PASS_XML)
    monkeypatch.chdir(tmp_path)  # the action runs gate in the working directory
    with FakeGitHub() as gh:
        gh.add_artifact(NAME, outputs_of(tmp_path, "earlier"))
        code, log, out = step("baseline", action_env(gh, tmp_path, "auto"), tmp_path)
    assert code == 0, log
    assert out["artifact-name"] == NAME
    assert (Path(out["dir"]) / "result.json").is_file()
    from gate.action import parse_inputs

    inputs = parse_inputs(
        action_env(gh, tmp_path, "auto") | {"GATE_INPUT_WORKING_DIRECTORY": str(tmp_path)}
    )
    argv = inputs.gate_argv(found_baseline=out["dir"])
    assert argv[:4] == ["report", "--baseline", out["dir"], "--baseline-missing-ok"]
    assert main([*argv[:-1], str(tmp_path / "now")]) == 0
    result = GateResult.from_json(json.loads((tmp_path / "now" / "result.json").read_text()))
    assert result.baseline is not None
    assert result.baseline.source.verdict == "pass"


def test_baseline_step_without_an_artifact_warns_and_the_report_says_why(tmp_path: Path) -> None:
    (tmp_path / "e2e.xml").write_bytes(PASS_XML)
    with FakeGitHub() as gh:
        code, log, out = step("baseline", action_env(gh, tmp_path, "auto"), tmp_path)
    assert code == 0
    assert "::warning title=deploy-gate baseline::no baseline artifact" in log
    folder = out["dir"]
    xml = str(tmp_path / "e2e.xml")
    args = ["report", "--baseline", folder, "--baseline-missing-ok", xml, "--out"]
    assert main([*args, str(tmp_path / "now")]) == 0  # no baseline never blocks by itself
    result = GateResult.from_json(json.loads((tmp_path / "now" / "result.json").read_text()))
    assert result.baseline is not None
    assert not result.baseline.comparable
    assert "no passing run has stored one yet" in result.baseline.why_not[0]


def test_baseline_step_with_none_or_a_path_downloads_nothing(tmp_path: Path) -> None:
    with FakeGitHub() as gh:
        for value in ("none", "earlier/out"):
            code, _, out = step("baseline", action_env(gh, tmp_path, value), tmp_path)
            assert (code, out["dir"]) == (0, "")
        assert gh.count("GET", r"/actions/artifacts") == 0
