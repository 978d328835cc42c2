"""Deployment status, commit status, check run, degrading and retrying, against the fake GitHub."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from github_fixtures import SHA, gate_result, pr_context, publish_to

from gate.github import GitHubContext, PublishOptions, publish
from gate.github.text import describe
from gate.model import Outcome, Verdict

STATUSES = rf"/statuses/{SHA}$"


def _outputs(path: Path) -> dict[str, str]:
    """Parse `$GITHUB_OUTPUT` written with the `name<<DELIMITER` syntax."""
    lines = path.read_text().splitlines()
    out: dict[str, str] = {}
    i = 0
    while i < len(lines):
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        out[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return out


@pytest.mark.parametrize(
    ("failing", "outcome", "state"),
    [([], None, "success"), (["t"], None, "failure"), (["t"], Outcome.ERROR, "error")],
)
def test_deployment_status_state_log_url_and_environment_url(
    fake_github: FakeGitHub, failing: list[str], outcome: Outcome | None, state: str
) -> None:
    fake_github.add_deployment(42, SHA, "staging")
    ctx = pr_context(fake_github, pr=None, deployment_id=42, event="deployment_status")
    result = gate_result(failing, outcome=outcome)
    report = publish_to(fake_github, result, ctx, surfaces=["deployment-status", "commit-status"])
    assert report.warnings == []
    [status] = fake_github.deployment_statuses(42)
    assert status["state"] == state
    assert status["log_url"] == ctx.run_url
    assert status["environment_url"] == "https://staging.example.com"
    assert status["environment"] == "staging"
    [commit] = fake_github.commit_statuses(SHA)
    assert commit["state"] == state
    assert commit["context"] == "deploy-gate/staging"
    assert commit["target_url"] == ctx.run_url


def test_descriptions_are_meaningful_and_at_most_140_chars(fake_github: FakeGitHub) -> None:
    fake_github.add_deployment(42, SHA)
    result = gate_result(["a", "b"])
    assert describe(result) == "blocked: 2 failed in smoke"
    long = gate_result(["a"] * 3, suite="a-suite-with-a-very-long-name-" * 8)
    ctx = pr_context(fake_github, pr=None, deployment_id=42)
    report = publish_to(fake_github, long, ctx, surfaces=["deployment-status", "commit-status"])
    assert report.warnings == []  # the fake answers 422 beyond 140 characters
    [deployment] = fake_github.deployment_statuses(42)
    [commit] = fake_github.commit_statuses(SHA)
    assert len(deployment["description"]) <= 140
    assert len(commit["description"]) <= 140
    assert deployment["description"].startswith("deploy-gate blocked: 3 failed in a-suite")
    assert commit["description"].startswith("blocked: 3 failed in a-suite")


def test_unknown_deployment_is_a_warning_naming_the_id(fake_github: FakeGitHub) -> None:
    ctx = pr_context(fake_github, pr=None, deployment_id=999)
    report = publish_to(fake_github, gate_result(), ctx, surfaces=["deployment-status"])
    [warning] = report.warnings
    assert "deployment 999 was not found" in warning


def test_annotations_are_sent_fifty_per_request(fake_github: FakeGitHub) -> None:
    result = gate_result([f"test_{i}" for i in range(120)], with_file=True)
    report = publish_to(fake_github, result, pr_context(fake_github), surfaces=["check-run"])
    assert report.warnings == []
    [run] = fake_github.check_runs()
    assert run["conclusion"] == "failure"
    assert run["head_sha"] == SHA
    assert len(run["annotations"]) == 120
    assert run["annotations"][0]["path"] == "tests/test_smoke.py"
    assert run["annotations"][0]["start_line"] == 10
    requests = fake_github.calls("POST", r"/check-runs$") + fake_github.calls(
        "PATCH", r"/check-runs/\d+$"
    )
    sizes = [len(r.body["output"].get("annotations", [])) for r in requests]
    assert sizes == [50, 50, 20]


def test_annotation_without_file_falls_back_to_the_config_file(fake_github: FakeGitHub) -> None:
    publish_to(fake_github, gate_result(["t"]), pr_context(fake_github), surfaces=["check-run"])
    [annotation] = fake_github.check_runs()[0]["annotations"]
    assert annotation["path"] == "gate.toml"
    assert annotation["start_line"] == 1


def test_read_only_token_degrades_to_warnings_and_the_step_summary(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.add_deployment(42, SHA)
    result = gate_result(["t"])
    ctx = pr_context(fake_github, deployment_id=42, event="workflow_dispatch")
    report = publish_to(fake_github, result, ctx, token=FakeGitHub.READ_TOKEN, out=tmp_path)
    assert len(report.warnings) == 4
    assert any("pull-requests: write" in w for w in report.warnings)
    assert any("deployments: write" in w for w in report.warnings)
    assert any("statuses: write" in w for w in report.warnings)
    assert any("checks: write" in w for w in report.warnings)
    assert result.verdict is Verdict.BLOCK
    summary = (tmp_path / "step_summary.md").read_text()
    assert "deploy-gate: block" in summary
    assert "Publishing notes" in summary
    assert "pull-requests: write" in summary  # a colon needs no escape in Markdown
    assert _outputs(tmp_path / "github_output")["verdict"] == "block"


def test_fork_pull_request_posts_nothing_and_says_why(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.add_pull(7, SHA, fork=True)
    ctx = pr_context(fake_github, fork=True)
    report = publish_to(fake_github, gate_result(), ctx, token=FakeGitHub.READ_TOKEN, out=tmp_path)
    [warning] = report.warnings
    assert "fork" in warning
    assert "workflow_run" in warning
    assert fake_github.requests == []
    assert "deploy-gate: pass" in (tmp_path / "step_summary.md").read_text()


def test_personal_token_cannot_create_check_runs_others_still_work(
    fake_github: FakeGitHub,
) -> None:
    fake_github.add_pull(7, SHA)
    report = publish_to(
        fake_github,
        gate_result(),
        pr_context(fake_github),
        token=FakeGitHub.PAT_TOKEN,
        surfaces=["comment", "commit-status", "check-run"],
    )
    [warning] = report.warnings
    assert warning.startswith("check-run:")
    assert "checks: write" in warning
    assert len(fake_github.comments(7)) == 1
    assert len(fake_github.commit_statuses(SHA)) == 1


def test_429_with_retry_after_is_retried_once(fake_github: FakeGitHub) -> None:
    fake_github.fail_next("POST", STATUSES, 429, headers={"Retry-After": "1"})
    report = publish_to(
        fake_github, gate_result(), pr_context(fake_github), surfaces=["commit-status"]
    )
    assert report.warnings == []
    assert [r.status for r in fake_github.calls("POST", STATUSES)] == [429, 201]
    assert len(fake_github.commit_statuses(SHA)) == 1


def test_secondary_rate_limit_is_retried(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.secondary_rate_limit("GET", r"/issues/7/comments$", retry_after=1)
    report = publish_to(fake_github, gate_result(), pr_context(fake_github), surfaces=["comment"])
    assert report.warnings == []
    assert [r.status for r in fake_github.calls("GET", r"/issues/7/comments$")][:2] == [403, 200]


def test_status_post_applied_then_failed_is_not_posted_twice(fake_github: FakeGitHub) -> None:
    fake_github.fail_next("POST", STATUSES, 503, applied=True)
    report = publish_to(
        fake_github, gate_result(), pr_context(fake_github), surfaces=["commit-status"]
    )
    assert report.warnings == []
    assert len(fake_github.commit_statuses(SHA)) == 1
    assert fake_github.count("POST", STATUSES) == 1


def test_check_run_create_applied_then_failed_is_found_not_duplicated(
    fake_github: FakeGitHub,
) -> None:
    fake_github.fail_next("POST", r"/check-runs$", 500, applied=True)
    result = gate_result([f"t{i}" for i in range(60)])
    report = publish_to(fake_github, result, pr_context(fake_github), surfaces=["check-run"])
    assert report.warnings == []
    [run] = fake_github.check_runs()
    assert len(run["annotations"]) == 60


def test_annotation_batch_applied_then_failed_is_not_appended_twice(
    fake_github: FakeGitHub,
) -> None:
    fake_github.fail_next("PATCH", r"/check-runs/\d+$", 502, applied=True)
    result = gate_result([f"t{i}" for i in range(120)])
    report = publish_to(fake_github, result, pr_context(fake_github), surfaces=["check-run"])
    assert report.warnings == []
    [run] = fake_github.check_runs()
    assert len(run["annotations"]) == 120
    assert [r.status for r in fake_github.calls("PATCH", r"/check-runs/\d+$")] == [502, 200]
    assert fake_github.count("GET", r"/check-runs/\d+/annotations$") >= 1  # counted first


def test_retry_after_beyond_the_budget_gives_up_with_a_warning(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.fail_next("POST", STATUSES, 429, headers={"Retry-After": "120"}, times=5)
    result = gate_result(["t"])
    report = publish_to(
        fake_github,
        result,
        pr_context(fake_github),
        surfaces=["commit-status", "summary"],
        budget_s=5,
        out=tmp_path,
    )
    [warning] = report.warnings
    assert "gave up after 1 attempt" in warning
    assert "budget" in warning
    assert fake_github.count("POST", STATUSES) == 1
    assert result.verdict is Verdict.BLOCK
    assert _outputs(tmp_path / "github_output")["verdict"] == "block"


def test_persistent_5xx_exhausts_the_budget_then_warns(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.fail_next("GET", r"/issues/7/comments$", 503, times=100)
    result = gate_result()
    report = publish_to(
        fake_github, result, pr_context(fake_github), surfaces=["comment"], budget_s=2
    )
    [warning] = report.warnings
    assert "comment on PR #7: gave up after 2 attempt(s)" in warning
    assert "503" in warning
    assert "budget" in warning
    # backoff 1 s after the first 503; a second wait of 2 s would overrun the 2 s budget
    assert fake_github.count("GET", r"/issues/7/comments$") == 2
    assert fake_github.count("POST", r"/issues/7/comments$") == 0
    assert result.verdict is Verdict.PASS


def test_outputs_and_step_summary(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.add_pull(7, SHA)
    (tmp_path / "step_summary.md").write_text("earlier step\n")
    report = publish_to(fake_github, gate_result(["a"]), pr_context(fake_github), out=tmp_path)
    outputs = _outputs(tmp_path / "github_output")
    assert outputs["verdict"] == "block"
    assert outputs["outcome"] == "failed"
    assert outputs["tests"] == "4"
    assert outputs["failed"] == "1"
    assert outputs["comment-url"] == report.comment_urls[0]
    assert outputs["comment-url"].endswith(f"#issuecomment-{fake_github.comments(7)[0]['id']}")
    summary = (tmp_path / "step_summary.md").read_text()
    assert summary.startswith("earlier step\n")  # appended, not overwritten
    assert "deploy-gate" in summary


def test_dry_run_sends_nothing_and_prints_the_calls(
    fake_github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    from gate.github import PublishOptions, publish

    ctx = pr_context(fake_github, deployment_id=42)
    surfaces = ["comment", "deployment-status", "commit-status", "check-run"]
    report = publish(gate_result(["a"]), ctx, surfaces, True, options=PublishOptions())
    printed = capsys.readouterr().out
    assert fake_github.requests == []
    assert report.warnings == []
    assert "dry-run: POST /repos/octo/demo/issues/7/comments" in printed
    assert "dry-run: POST /repos/octo/demo/deployments/42/statuses" in printed
    assert f"dry-run: POST /repos/octo/demo/statuses/{SHA}" in printed
    assert "dry-run: POST /repos/octo/demo/check-runs" in printed


def test_unreachable_github_is_retried_then_a_warning(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = GitHubContext(
        event="push",
        repository="octo/demo",
        api_url=f"http://127.0.0.1:{port}",
        run_url=None,
        sha=SHA,
        environment="staging",
    )
    options = PublishOptions(
        token="t0ken-value", budget_s=2, write_interval_s=0, step_summary=tmp_path / "s.md"
    )
    report = publish(gate_result(), ctx, ["commit-status", "summary"], options=options)
    [warning] = report.warnings
    assert "gave up after 2 attempt(s)" in warning
    assert "ConnectionError" in warning
    assert "deploy-gate: pass" in (tmp_path / "s.md").read_text()
