"""`gate require`: 0 only on the gate's own success for that environment on that commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from github_fixtures import SHA, gate_result, pr_context, publish_to

from gate.cli import main as gate
from gate.github.require import PENDING, Found, await_verdict

OTHER = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake_github: FakeGitHub) -> FakeGitHub:
    for name in ("GATE_GITHUB_TOKEN", "GITHUB_EVENT_PATH", "GITHUB_SHA", "GATE_SHA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", fake_github.repository)
    monkeypatch.setenv("GITHUB_TOKEN", FakeGitHub.READ_TOKEN)  # reading is enough
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_dispatch")
    return fake_github


def require(*args: str) -> int:
    return gate(["require", *args])


@pytest.mark.parametrize(
    ("history", "code"),
    [
        (["success"], 0),
        (["failure"], 1),
        (["error"], 1),
        (["pending"], 1),
        (["failure", "success"], 0),  # the latest status wins (listed oldest to newest here)
        (["success", "failure"], 1),
        (["success", "pending"], 1),  # a rerun in progress is not a pass
    ],
)
def test_only_the_latest_success_passes(
    env: FakeGitHub, capsys: pytest.CaptureFixture[str], history: list[str], code: int
) -> None:
    for state in history:
        env.add_commit_status(SHA, "deploy-gate/staging", state)
    assert require("--environment", "staging", "--sha", SHA) == code
    out = capsys.readouterr()
    if code == 0:
        assert "may proceed" in out.out
    else:
        assert f"is {'failure' if history[-1] == 'error' else history[-1]}" in out.err
        assert "the verdict is block" in out.err


def test_another_environment_or_context_does_not_count(
    env: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    env.add_commit_status(SHA, "deploy-gate/staging", "success")
    env.add_commit_status(SHA, "ci/build", "success")
    assert require("--environment", "production", "--sha", SHA) == 1
    err = capsys.readouterr().err
    assert "no deploy-gate verdict for 'production'" in err
    assert "verdicts for: deploy-gate/staging" in err  # the typo hint


def test_a_commit_without_any_verdict_is_a_block(
    env: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    env.add_commit(SHA)
    assert require("--environment", "staging", "--sha", SHA) == 1
    assert "has not published for this commit" in capsys.readouterr().err


def test_the_check_run_stands_in_where_no_status_was_published(
    env: FakeGitHub, tmp_path: Path
) -> None:
    for verdict, code in ((["boom"], 1), ([], 0)):
        publish_to(
            env,
            gate_result(verdict),
            pr_context(env, pr=None, sha=SHA),
            surfaces=["check-run"],
        )
        assert env.commit_statuses(SHA) == []
        assert require("--environment", "staging", "--sha", SHA) == code  # latest run wins


def test_a_published_verdict_is_read_back(env: FakeGitHub) -> None:
    """End to end: what `publish` posts is what `require` reads (same context name)."""
    publish_to(env, gate_result(), pr_context(env, sha=SHA, environment="Staging EU"))
    assert require("--environment", "Staging EU", "--sha", SHA) == 0
    assert require("--environment", "staging", "--sha", SHA) == 1


def test_a_commit_that_does_not_exist_is_a_usage_error(
    env: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert require("--environment", "staging", "--sha", OTHER) == 2
    err = capsys.readouterr().err
    assert f"commit {OTHER} was not found" in err
    assert "No commit found" in err


@pytest.mark.parametrize(
    ("args", "unset", "words"),
    [
        (["--environment", "staging", "--sha", SHA], "GITHUB_TOKEN", "no GitHub token"),
        (["--environment", " ", "--sha", SHA], None, "--environment is empty"),
        (["--environment", "staging", "--sha", "main; rm"], None, "--sha must be a commit sha"),
        (["--environment", "staging", "--sha", SHA, "--wait", "-1"], None, "--wait"),
        (["--environment", "staging"], None, "no commit: give --sha"),
        (["--environment", "staging", "--sha", SHA], "GITHUB_REPOSITORY", "GITHUB_REPOSITORY"),
    ],
)
def test_usage_errors_exit_2(
    env: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    unset: str | None,
    words: str,
) -> None:
    if unset:
        monkeypatch.delenv(unset)
    assert require(*args) == 2
    assert words in capsys.readouterr().err
    assert env.count("GET", r"/status$") == 0


def test_missing_environment_flag_is_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        require("--sha", SHA)
    assert exc.value.code == 2


def test_a_refused_token_is_a_usage_error(
    env: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "expired")
    assert require("--environment", "staging", "--sha", SHA) == 2
    assert "refused the token" in capsys.readouterr().err


def test_github_failing_is_a_block_not_a_pass(
    env: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    env.add_commit_status(SHA, "deploy-gate/staging", "success")
    env.fail_next("GET", r"/commits/\w+/status$", 403, body={"message": "Must have admin rights"})
    assert require("--environment", "staging", "--sha", SHA) == 1
    assert "Must have admin rights" in capsys.readouterr().err


def test_the_sha_defaults_to_the_events_commit(
    env: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A deployment_status event: the deployed sha, not GITHUB_SHA."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"deployment": {"id": 5, "sha": SHA, "environment": "prod"}}))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "deployment_status")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_SHA", OTHER)
    env.add_commit_status(SHA, "deploy-gate/staging", "success")
    env.add_commit_status(OTHER, "deploy-gate/staging", "failure")
    assert require("--environment", "staging") == 0


def test_waiting_sees_a_pending_verdict_turn_into_success(
    env: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gate finishes while `require` waits: the second ask sees its success."""
    env.add_commit_status(SHA, "deploy-gate/staging", "pending")
    env.after_next(
        "GET",
        r"/commits/\w+/status$",
        lambda fake, _answer: fake.add_commit_status(SHA, "deploy-gate/staging", "success"),
    )
    code = require("--environment", "staging", "--sha", SHA, "--wait", "60", "--interval", "0.01")
    assert code == 0
    assert "verdict is pending; asking again" in capsys.readouterr().err
    assert env.count("GET", r"/commits/\w+/status$") == 2


def test_waiting_ends_at_the_deadline_with_a_block() -> None:
    """A verdict that stays pending: asked until the (fake) clock passes the wait, then 1."""
    now = [0.0]
    asks: list[float] = []

    def read() -> Found:
        asks.append(now[0])
        return Found(state=PENDING, source="commit status deploy-gate/x")

    def sleep(seconds: float) -> None:
        now[0] += seconds

    found = await_verdict(
        read, wait_s=25, interval_s=10, say=lambda _l: None, sleep=sleep, clock=lambda: now[0]
    )
    assert found.state == PENDING
    assert asks == [0.0, 10.0, 20.0, 25.0]
