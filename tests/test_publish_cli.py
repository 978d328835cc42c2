"""`gate publish` as a process: exit codes, masks first, bad input messages, a real publish."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from github_fixtures import SHA, gate_result


def _workspace(tmp_path: Path, result: dict[str, Any] | None = None) -> Path:
    (tmp_path / "gate.toml").write_text("[publish]\nwrite_interval_s = 0\nbudget_s = 20\n")
    out = tmp_path / "gate-results"
    out.mkdir()
    data = result if result is not None else gate_result(["test_x"]).to_json()
    (out / "result.json").write_text(json.dumps(data))
    (out / "summary.md").write_text("summary\n")
    return out / "result.json"


def _event(tmp_path: Path, pr: int = 7) -> dict[str, str]:
    payload = {
        "number": pr,
        "pull_request": {
            "number": pr,
            "head": {"sha": SHA, "repo": {"full_name": "octo/demo"}},
            "base": {"repo": {"full_name": "octo/demo"}},
        },
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "octo/demo",
        "GITHUB_RUN_ID": "5",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }


def _gate(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "gate", "publish", *args],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_publishes_and_exits_0_even_for_a_block(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.add_pull(7, SHA)
    _workspace(tmp_path)
    env = {
        **_event(tmp_path),
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": FakeGitHub.WRITE_TOKEN,
        "GITHUB_ACTIONS": "true",
    }
    proc = _gate(tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"::add-mask::{FakeGitHub.WRITE_TOKEN}"
    assert FakeGitHub.WRITE_TOKEN not in proc.stdout.split("\n", 1)[1] + proc.stderr
    assert "the verdict stays block" in proc.stdout
    assert len(fake_github.comments(7)) == 1
    assert len(fake_github.commit_statuses(SHA)) == 1
    assert len(fake_github.check_runs()) == 1
    output = (tmp_path / "output").read_text()
    assert "verdict<<" in output
    assert "\nblock\n" in output
    assert "summary.md" in output
    assert "deploy-gate" in (tmp_path / "step_summary.md").read_text()


def test_read_only_token_exits_0_with_warnings(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.add_pull(7, SHA)
    _workspace(tmp_path)
    env = {
        **_event(tmp_path),
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": FakeGitHub.READ_TOKEN,
        "GITHUB_ACTIONS": "true",
    }
    proc = _gate(tmp_path, env)
    assert proc.returncode == 0
    assert (
        "::warning title=deploy-gate publish::comment on PR #7: GitHub answered 403" in proc.stderr
    )
    assert "degraded" in proc.stdout
    assert "deploy-gate: block" in (tmp_path / "step_summary.md").read_text()


def test_missing_token_is_exit_2(tmp_path: Path) -> None:
    _workspace(tmp_path)
    proc = _gate(tmp_path, _event(tmp_path))
    assert proc.returncode == 2
    assert "no GitHub token" in proc.stderr
    assert "GITHUB_TOKEN" in proc.stderr


def test_summary_only_needs_no_token_nor_event(tmp_path: Path) -> None:
    _workspace(tmp_path)
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    proc = _gate(tmp_path, env, "--surfaces", "summary")
    assert proc.returncode == 0, proc.stderr
    assert "deploy-gate" in (tmp_path / "s.md").read_text()


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (None, "result file not found"),
        ({"schema": 2, "verdict": "pass"}, "expected schema 1, found 2"),
        ({"schema": 1, "verdict": "maybe", "outcome": "passed"}, "invalid result.json content"),
    ],
)
def test_bad_result_json_is_exit_2(tmp_path: Path, result: Any, message: str) -> None:
    path = _workspace(tmp_path, result or {})
    if result is None:
        path.unlink()
    env = {**_event(tmp_path), "GITHUB_TOKEN": "t"}
    proc = _gate(tmp_path, env)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_event_and_bad_payload_are_exit_2(tmp_path: Path) -> None:
    _workspace(tmp_path)
    env = {**_event(tmp_path), "GITHUB_TOKEN": "t", "GITHUB_EVENT_NAME": "issues"}
    proc = _gate(tmp_path, env)
    assert proc.returncode == 2
    assert "unsupported event 'issues'" in proc.stderr
    env = {**_event(tmp_path), "GITHUB_TOKEN": "t"}
    Path(env["GITHUB_EVENT_PATH"]).write_text("{broken")
    proc = _gate(tmp_path, env)
    assert proc.returncode == 2
    assert "not valid JSON" in proc.stderr


def test_dry_run_needs_no_token_and_sends_nothing(fake_github: FakeGitHub, tmp_path: Path) -> None:
    _workspace(tmp_path)
    env = {**_event(tmp_path), "GITHUB_API_URL": fake_github.url}
    proc = _gate(tmp_path, env, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "dry-run: POST /repos/octo/demo/issues/7/comments" in proc.stdout
    assert fake_github.requests == []
    assert not (tmp_path / "output").exists()


def test_unknown_deployment_id_warns_with_the_id(fake_github: FakeGitHub, tmp_path: Path) -> None:
    _workspace(tmp_path)
    env = {
        **_event(tmp_path),
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": FakeGitHub.WRITE_TOKEN,
    }
    proc = _gate(tmp_path, env, "--deployment-id", "31337", "--surfaces", "deployment-status")
    assert proc.returncode == 0
    assert "deployment 31337 was not found in octo/demo (404)" in proc.stderr


def test_deployment_status_event_end_to_end(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.add_deployment(42, SHA, "preview")
    _workspace(tmp_path)
    payload = {
        "deployment_status": {"state": "success", "environment_url": "https://pr-7.example.com"},
        "deployment": {"id": 42, "sha": SHA, "environment": "preview"},
    }
    env = {
        **_event(tmp_path),
        "GITHUB_EVENT_NAME": "deployment_status",
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": FakeGitHub.WRITE_TOKEN,
    }
    (tmp_path / "event.json").write_text(json.dumps(payload))
    proc = _gate(tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    [status] = fake_github.deployment_statuses(42)
    assert status["state"] == "failure"
    assert status["environment"] == "preview"
    assert status["environment_url"] == "https://pr-7.example.com"
    assert status["log_url"] == "https://github.com/octo/demo/actions/runs/5"
    [comment] = fake_github.comments(7)
    assert comment["body"].startswith("<!-- deploy-gate:preview -->")
    [commit] = fake_github.commit_statuses(SHA)
    assert commit["context"] == "deploy-gate/preview"


# `gate publish --surfaces comment`, once the process has imported what it needs and `go`
# exists (argv: go-file, ready-file).
START_TOGETHER = """
import pathlib, sys, time
import gate.cli, gate.commands.publish, gate.github
pathlib.Path(sys.argv[2]).touch()
while not pathlib.Path(sys.argv[1]).exists():
    time.sleep(0.01)
sys.exit(gate.cli.main(["publish", "--surfaces", "comment"]))
"""


def test_two_concurrent_processes_leave_one_comment(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.barrier("GET", r"/issues/7/comments$", parties=2)  # both list before posting
    _workspace(tmp_path)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        **_event(tmp_path),
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": FakeGitHub.WRITE_TOKEN,
    }
    # Both processes finish starting before either may send. Started plainly, under a loaded
    # suite run the second one's listing once came more than 15 s (the client's read timeout)
    # after the first's: the first listing timed out at the barrier, its own retry became the
    # barrier's second party, and there was no race (one POST; reproduced by starting the
    # second process 17 s later).
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", START_TOGETHER, str(go), str(tmp_path / f"ready-{n}")],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(2)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < 2:
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "the publish processes did not start in 120 s"
        time.sleep(0.05)
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (out, err)
    assert fake_github.count("POST", r"/issues/7/comments$") == 2  # the race happened
    assert len(fake_github.comments(7)) == 1


def test_a_result_whose_verdict_contradicts_its_outcome_is_refused(tmp_path: Path) -> None:
    from gate.commands.publish import read_result
    from gate.errors import UsageError

    path = tmp_path / "result.json"
    path.write_text(json.dumps({"schema": 1, "verdict": "pass", "outcome": "failed"}))
    with pytest.raises(UsageError, match="verdict pass contradicts outcome failed"):
        read_result(path)
    path.write_text(json.dumps({"schema": 1, "verdict": "block", "outcome": "warned"}))
    with pytest.raises(UsageError, match="verdict block contradicts outcome warned"):
        read_result(path)
