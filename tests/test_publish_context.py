"""Reading the GitHub Actions environment and event payloads into a publishing context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gate.errors import UsageError
from gate.github.context import Overrides, read_context

SHA = "a" * 40


def _env(tmp_path: Path, event: str, payload: Any, **extra: str) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return {
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "octo/demo",
        "GITHUB_SERVER_URL": "https://github.example.com",
        "GITHUB_API_URL": "https://github.example.com/api/v3",
        "GITHUB_RUN_ID": "99",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_SHA": "b" * 40,
        **extra,
    }


def _pr_payload(head_repo: str = "octo/demo") -> dict[str, Any]:
    return {
        "number": 12,
        "pull_request": {
            "number": 12,
            "head": {"sha": SHA, "repo": {"full_name": head_repo}},
            "base": {"repo": {"full_name": "octo/demo"}},
        },
    }


def test_deployment_status(tmp_path: Path) -> None:
    payload = {
        "deployment_status": {"state": "success", "environment_url": "https://pr-3.example.com"},
        "deployment": {"id": 42, "sha": SHA, "environment": "preview"},
    }
    ctx = read_context(_env(tmp_path, "deployment_status", payload), default_environment="staging")
    assert ctx.deployment_id == 42
    assert ctx.sha == SHA
    assert ctx.environment == "preview"
    assert ctx.environment_url == ctx.target_url == "https://pr-3.example.com"
    assert ctx.find_pulls
    assert ctx.pull_requests == ()
    assert ctx.api_url == "https://github.example.com/api/v3"
    assert ctx.run_url == "https://github.example.com/octo/demo/actions/runs/99"
    assert ctx.run_key == "99-2-preview"


def test_pull_request_same_repo_and_fork(tmp_path: Path) -> None:
    ctx = read_context(_env(tmp_path, "pull_request", _pr_payload()), default_environment="staging")
    assert ctx.pull_requests == (12,)
    assert ctx.sha == SHA
    assert not ctx.fork
    assert ctx.environment == "staging"
    fork = read_context(
        _env(tmp_path, "pull_request", _pr_payload("someone/fork")), default_environment="s"
    )
    assert fork.fork
    target = read_context(
        _env(tmp_path, "pull_request_target", _pr_payload("someone/fork")), default_environment="s"
    )
    assert not target.fork  # pull_request_target has a write token even for forks


def test_workflow_dispatch_inputs(tmp_path: Path) -> None:
    payload = {
        "inputs": {
            "target-url": "https://x.example.com",
            "environment": "qa",
            "pr-number": "5",
            "deployment-id": "77",
        }
    }
    ctx = read_context(_env(tmp_path, "workflow_dispatch", payload), default_environment="s")
    assert ctx.target_url == "https://x.example.com"
    assert ctx.environment == "qa"
    assert ctx.pull_requests == (5,)
    assert ctx.deployment_id == 77
    assert ctx.sha == "b" * 40


def test_push_and_workflow_run(tmp_path: Path) -> None:
    push = read_context(_env(tmp_path, "push", {"after": SHA}), default_environment="s")
    assert push.sha == SHA
    assert push.find_pulls
    run = {"workflow_run": {"head_sha": SHA, "pull_requests": [], "html_url": "https://r/1"}}
    ctx = read_context(_env(tmp_path, "workflow_run", run), default_environment="s")
    assert ctx.sha == SHA
    assert ctx.find_pulls
    assert ctx.run_url == "https://r/1"


def test_overrides_win_cli_over_environment(tmp_path: Path) -> None:
    env = _env(tmp_path, "pull_request", _pr_payload(), GATE_PR_NUMBER="30", GATE_ENVIRONMENT="e1")
    ctx = read_context(env, default_environment="s", overrides=Overrides(environment="e2"))
    assert ctx.pull_requests == (30,)
    assert ctx.environment == "e2"


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        ("issues", {}, "unsupported event 'issues'"),
        ("pull_request", "{not json", "not valid JSON"),
        ("pull_request", "[1]", "must be a JSON object"),
        ("pull_request", {"number": 1}, "key 'pull_request.head.sha' should be a str"),
        ("deployment_status", {"deployment": {"id": "42"}}, "key 'deployment.id' should be a int"),
        ("workflow_dispatch", {"inputs": {"pr-number": "abc"}}, "should be a number"),
    ],
)
def test_bad_input_is_a_clear_usage_error(
    tmp_path: Path, event: str, payload: Any, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        read_context(_env(tmp_path, event, payload), default_environment="s")


def test_missing_payload_and_missing_event(tmp_path: Path) -> None:
    env = _env(tmp_path, "deployment_status", {})
    env["GITHUB_EVENT_PATH"] = str(tmp_path / "nope.json")
    with pytest.raises(UsageError, match="cannot read the event payload"):
        read_context(env, default_environment="s")
    del env["GITHUB_EVENT_PATH"]
    with pytest.raises(UsageError, match="GITHUB_EVENT_PATH is not set"):
        read_context(env, default_environment="s")
    with pytest.raises(UsageError, match="GITHUB_EVENT_NAME is not set"):
        read_context({"GITHUB_REPOSITORY": "o/r"}, default_environment="s")


def test_malformed_workflow_run_is_a_usage_error(tmp_path: Path) -> None:
    env = _env(tmp_path, "workflow_run", {"workflow_run": "nope"})
    with pytest.raises(UsageError, match=r"workflow_run\.head_sha"):
        read_context(env, default_environment="s")
    env = _env(tmp_path, "workflow_run", {"workflow_run": {"head_sha": SHA, "pull_requests": 3}})
    with pytest.raises(UsageError, match=r"workflow_run\.pull_requests"):
        read_context(env, default_environment="s")


def test_api_url_that_is_not_a_url_is_a_usage_error(tmp_path: Path) -> None:
    env = _env(tmp_path, "push", {"after": SHA}, GITHUB_API_URL="api.github.example")
    with pytest.raises(UsageError, match="GITHUB_API_URL must be an http"):
        read_context(env, default_environment="s")
