"""Manual reruns (`workflow_dispatch`) re-judge a deployment: statuses go to what was deployed.

Issue 13: a rerun of deployment 42 (of sha A) posted its commit status and check run on
`GITHUB_SHA` (the head of the branch the dispatch ran on). Now the deployment, the latest
deployment of an environment, or a pull request is looked up first.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from github_fixtures import gate_result, publish_to

from gate.github import GitHubContext, Overrides, read_context

DEPLOYED = "a" * 40  # what deployment 42 deployed
BRANCH_HEAD = "b" * 40  # GITHUB_SHA of the dispatch
PR_HEAD = "c" * 40
NEWER = "d" * 40


def dispatch(
    fake: FakeGitHub, tmp_path: Path, overrides: Overrides | None = None, **inputs: str
) -> GitHubContext:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"inputs": inputs}))
    env = {
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": fake.repository,
        "GITHUB_API_URL": fake.url,
        "GITHUB_SHA": BRANCH_HEAD,
        "GITHUB_RUN_ID": "77",
    }
    return read_context(env, default_environment="config-env", overrides=overrides)


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_deployment(42, DEPLOYED, "staging")
    fake_github.add_deployment_status(42, "success", "https://old.staging.example.com")
    fake_github.add_deployment_status(42, "failure", "https://broken.example.com")
    fake_github.add_deployment_status(42, "success", "https://staging.example.com")
    fake_github.add_deployment_status(42, "failure")  # newest, but not a success
    fake_github.add_pull(7, head_sha=DEPLOYED)
    fake_github.add_pull(9, head_sha=PR_HEAD)
    return fake_github


def test_which_reruns_need_a_lookup(github: FakeGitHub, tmp_path: Path) -> None:
    assert dispatch(github, tmp_path, **{"deployment-id": "42"}).resolve == "deployment"
    assert dispatch(github, tmp_path, environment="staging").resolve == "latest-deployment"
    assert dispatch(github, tmp_path, **{"pr-number": "9"}).resolve == "pr-head"
    # a URL given with an environment is an ad-hoc check of that URL on the branch head
    adhoc = dispatch(github, tmp_path, environment="qa", target="https://qa.example.com")
    assert (adhoc.resolve, adhoc.sha) == (None, BRANCH_HEAD)
    explicit = dispatch(github, tmp_path, Overrides(sha=NEWER), **{"pr-number": "9"})
    assert (explicit.resolve, explicit.sha) == (None, NEWER)  # --sha / GATE_SHA wins


def test_a_rerun_of_deployment_42_posts_on_its_sha(github: FakeGitHub, tmp_path: Path) -> None:
    ctx = dispatch(github, tmp_path, **{"deployment-id": "42"})
    report = publish_to(github, gate_result(), ctx)
    assert not report.warnings, report.warnings
    assert "rerun: re-judging deployment 42 (staging) on commit aaaaaaaaaaaa" in report.notes
    assert [s["context"] for s in github.commit_statuses(DEPLOYED)] == ["deploy-gate/staging"]
    assert github.commit_statuses(BRANCH_HEAD) == []
    [check] = github.check_runs()
    assert (check["head_sha"], check["name"]) == (DEPLOYED, "deploy-gate (staging)")
    newest = github.deployment_statuses(42)[0]
    assert newest["state"] == "success"
    assert newest["environment"] == "staging"  # the deployment's, not the config's
    # the URL of its latest *successful* status stays on the deployment
    assert newest["environment_url"] == "https://staging.example.com"
    assert len(github.comments(7)) == 1  # the PR of the deployed sha
    assert github.comments(9) == []


def test_the_resolved_url_is_the_target(github: FakeGitHub, tmp_path: Path) -> None:
    from gate.github.api import PyGithubApi
    from gate.github.client import Budget, Retrier, build_github
    from gate.github.rerun import resolve_rerun

    budget = Budget(20)
    gh = build_github(FakeGitHub.READ_TOKEN, github.url, budget=budget, write_interval_s=0)
    api = PyGithubApi(gh, github.repository)
    resolved = resolve_rerun(
        dispatch(github, tmp_path, environment="staging"), api, Retrier(budget)
    )
    assert resolved.target_url == "https://staging.example.com"
    given = dispatch(github, tmp_path, **{"deployment-id": "42", "target-url": "https://x.test"})
    assert resolve_rerun(given, api, Retrier(budget)).target_url == "https://x.test"
    api.close()


def test_environment_alone_means_its_latest_deployment(github: FakeGitHub, tmp_path: Path) -> None:
    github.add_deployment(50, NEWER, "staging")
    github.add_deployment(51, PR_HEAD, "production")
    ctx = dispatch(github, tmp_path, environment="staging")
    report = publish_to(github, gate_result(["boom"]), ctx)
    assert not report.warnings, report.warnings
    assert [s["state"] for s in github.commit_statuses(NEWER)] == ["failure"]
    assert [s["state"] for s in github.deployment_statuses(50)] == ["failure"]
    assert "environment_url" not in github.deployment_statuses(50)[0]  # it has no success yet
    assert github.commit_statuses(PR_HEAD) == []
    assert github.calls("GET", r"/deployments$")[0].query["environment"] == "staging"


def test_pr_number_means_the_pull_requests_head(github: FakeGitHub, tmp_path: Path) -> None:
    report = publish_to(github, gate_result(), dispatch(github, tmp_path, **{"pr-number": "9"}))
    assert not report.warnings, report.warnings
    assert len(github.comments(9)) == 1
    assert [s["state"] for s in github.commit_statuses(PR_HEAD)] == ["success"]
    assert github.check_runs()[0]["head_sha"] == PR_HEAD
    assert github.commit_statuses(BRANCH_HEAD) == []


def test_deployment_and_pr_comment_on_the_pr_and_post_on_the_deployed_sha(
    github: FakeGitHub, tmp_path: Path
) -> None:
    ctx = dispatch(github, tmp_path, **{"deployment-id": "42", "pr-number": "9"})
    publish_to(github, gate_result(), ctx)
    assert len(github.comments(9)) == 1
    assert github.comments(7) == []
    assert len(github.commit_statuses(DEPLOYED)) == 1
    assert github.commit_statuses(PR_HEAD) == []


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"deployment-id": "404"}, "deployment 404 was not found in octo/demo"),
        ({"environment": "nowhere"}, "environment 'nowhere' has no deployment in octo/demo"),
        ({"pr-number": "404"}, "pull request #404 was not found"),
    ],
)
def test_nothing_is_posted_when_the_rerun_cannot_be_resolved(
    github: FakeGitHub, tmp_path: Path, inputs: dict[str, str], words: str
) -> None:
    report = publish_to(github, gate_result(), dispatch(github, tmp_path, **inputs), out=tmp_path)
    assert any(words in w for w in report.warnings), report.warnings
    assert any("the commit to post on is unknown" in w for w in report.warnings)
    assert github.count("POST", r".") == 0  # not even on GITHUB_SHA
    assert github.count("PATCH", r".") == 0
    assert "nothing was posted to GitHub" in (tmp_path / "step_summary.md").read_text()


def test_a_dry_run_says_what_it_cannot_look_up(github: FakeGitHub, tmp_path: Path) -> None:
    import io

    from gate.github import PublishOptions, publish

    stream = io.StringIO()
    ctx = dispatch(github, tmp_path, **{"deployment-id": "42"})
    report = publish(
        gate_result(), ctx, ["commit-status"], True, options=PublishOptions(), stream=stream
    )
    assert "GET /repos/octo/demo/deployments/42" in stream.getvalue()
    assert any("dry-run: deployment 42 is not looked up" in w for w in report.warnings)
    assert "POST" not in stream.getvalue()


# --- JUnit files alone (`gate report`: the result checked no target) ---------------------------


def test_junit_alone_with_an_environment_posts_on_the_dispatch_commit(
    github: FakeGitHub, tmp_path: Path
) -> None:
    """No target was checked, so no deployment is re-judged: as before the reruns."""
    github.add_deployment(50, NEWER, "staging")
    ctx = dispatch(github, tmp_path, environment="staging")
    junit_only = dataclasses.replace(gate_result(), target=None)
    report = publish_to(github, junit_only, ctx, surfaces=["commit-status", "check-run"])
    assert not report.warnings, report.warnings
    assert [s["context"] for s in github.commit_statuses(BRANCH_HEAD)] == ["deploy-gate/staging"]
    assert github.check_runs()[0]["head_sha"] == BRANCH_HEAD
    assert github.commit_statuses(NEWER) == []
    assert github.count("GET", r"/deployments") == 0


def test_junit_alone_with_a_deployment_id_posts_on_its_sha(
    github: FakeGitHub, tmp_path: Path
) -> None:
    """A deployment named explicitly is still looked up: it says where the verdict belongs."""
    ctx = dispatch(github, tmp_path, environment="staging", **{"deployment-id": "42"})
    junit_only = dataclasses.replace(gate_result(), target=None)
    report = publish_to(github, junit_only, ctx, surfaces=["commit-status", "deployment-status"])
    assert not report.warnings, report.warnings
    assert [s["context"] for s in github.commit_statuses(DEPLOYED)] == ["deploy-gate/staging"]
    assert github.deployment_statuses(42)[0]["state"] == "success"
    assert github.commit_statuses(BRANCH_HEAD) == []
