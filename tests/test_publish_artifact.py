"""Fork PRs, phase two: a trusted `workflow_run` publishes the fork's `gate-results` artifact.

The artifact is untrusted (the fork's code wrote it). Hostile or broken artifacts post nothing
and warn why; a good one is posted only to the PR and sha GitHub's payload names.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from fake_github import FakeGitHub
from github_fixtures import SHA, gate_result

from gate.cli import main as gate
from gate.model import StressSummary

FORK_REPO = "someone/demo-fork"


@pytest.fixture
def fork(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_pull(7, head_sha=SHA, fork=True, head_ref="feature")
    fake_github.add_pull(8, head_sha="e" * 40)  # another PR: never the artifact's to choose
    return fake_github


def workflow_run(pulls: list[int] | None = None, **changes: Any) -> dict[str, Any]:
    """The payload GitHub sends: for a fork PR, `pull_requests` is empty."""
    run: dict[str, Any] = {
        "id": 555,
        "event": "pull_request",
        "conclusion": "success",
        "head_sha": SHA,
        "head_branch": "feature",
        "html_url": "https://github.com/octo/demo/actions/runs/555",
        "pull_requests": [{"number": n} for n in (pulls or [])],
        "repository": {"full_name": "octo/demo"},
        "head_repository": {"full_name": FORK_REPO, "owner": {"login": "someone"}},
    }
    run.update(changes)
    return {"action": "completed", "workflow_run": run}


def artifact(tmp_path: Path, result: Any = None, claim: Any = None) -> Path:
    folder = tmp_path / "artifact"
    folder.mkdir(exist_ok=True)
    data = gate_result(["test_checkout"]).to_json() if result is None else result
    (folder / "result.json").write_text(data if isinstance(data, str) else json.dumps(data))
    (folder / "summary.md").write_text("forged summary @octo/admins\n")
    if claim is not None:
        (folder / "pull-request.json").write_text(json.dumps(claim))
    return folder / "result.json"


def publish(
    fake: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    result_path: Path,
    payload: dict[str, Any] | None = None,
) -> int:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload or workflow_run()))
    (tmp_path / "gate.toml").write_text(
        'environment = "preview"\n[publish]\nwrite_interval_s = 0\nbudget_s = 20\n'
    )
    for name in list(os.environ):
        if name.startswith(("GATE_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_run")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_REPOSITORY", fake.repository)
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_TOKEN", FakeGitHub.WRITE_TOKEN)
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)  # the base branch: never the target
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # warnings as workflow commands
    return gate(["publish", "--result", str(result_path), "--config", "gate.toml"])


def test_a_fork_result_is_posted_on_the_payloads_pr_and_sha(
    fork: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = artifact(tmp_path, claim={"repository": "octo/demo", "pull_request": 7, "head_sha": SHA})
    for _ in range(2):  # a re-run of the workflow_run: still one sticky comment
        assert publish(fork, tmp_path, monkeypatch, path) == 0
    [comment] = fork.comments(7)
    assert "test\\_checkout" in comment["body"] or "test_checkout" in comment["body"]
    assert fork.comments(8) == []
    assert [s["context"] for s in fork.commit_statuses(SHA)] == ["deploy-gate/preview"] * 2
    assert fork.commit_statuses("f" * 40) == []
    assert {r["head_sha"] for r in fork.check_runs()} == {SHA}
    # the fork's PR was found by its head (owner:branch), since the payload lists none
    assert fork.calls("GET", r"/demo/pulls$")[0].query["head"] == "someone:feature"
    # the artifact's own summary.md is not offered as an output
    assert "forged" not in (tmp_path / "output").read_text()


def test_hostile_text_is_escaped_in_every_surface(
    fork: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = gate_result(["x"]).to_json()
    evil = "@octo/admins <img src=x onerror=alert(1)> [click](javascript:alert(1)) ::set-env"
    data["suites"][0]["problems"][0]["message"] = evil
    data["suites"][0]["problems"][0]["id"] = "<script>alert(1)</script> @octo/admins"
    data["reasons"] = [evil]
    data["target"] = "https://evil.example/<marquee>x</marquee> @octo/admins"
    assert publish(fork, tmp_path, monkeypatch, artifact(tmp_path, data)) == 0
    [check] = fork.check_runs()
    output = check["output"]
    for markdown in (fork.comments(7)[0]["body"], output["summary"], output.get("text") or ""):
        assert_inert(markdown)
    for status in fork.commit_statuses(SHA):
        assert "@octo/admins" not in status["description"]


def with_baseline(evil: str = "") -> dict[str, Any]:
    """A result with a stress run, its baseline comparison, a cold start and cut messages."""
    data = gate_result(["test_checkout"]).to_json()
    data["suites"][0]["messages_cut"] = 4
    data["cold_start"] = {"ready_s": 2.5, "first_ms": 35.0, "attempts": 3}
    timeline = [{"t": t, "p95": 10.0 + t} for t in range(5)]
    stress = {
        "duration_s": 5.0,
        "requests": 500,
        "metrics": {
            "http_req_duration": {"count": 500, "p50": 4.0, "p95": 14.0, "p99": 20.0},
            "http_req_failed": {"rate": 0.0, "count": 500},
        },
        "thresholds": [{"metric": "http_req_duration", "expression": "p(95)<500", "ok": True}],
        "timeline": timeline,
        "status_counts": {"200": 500},
    }
    data["stress"] = StressSummary.from_json(stress).to_json()  # as the engine writes it
    now = {"count": 500, "p50": 4.0, "p95": 14.0, "p99": 20.0, "error_rate": 0.0}
    base = {"count": 500, "p50": 3.0, "p95": 9.0, "p99": 12.0, "error_rate": 0.0}
    data["baseline"] = {
        "source": {"path": f"b {evil}", "sha": "0123456789abcdef", "run_url": f"r {evil}"},
        "comparable": True,
        "why_not": [f"why {evil}"] if evil else [],
        "endpoints": [
            {"name": f"GET /api/{evil}", "now": now, "base": base, "verdict": "regressed",
             "p": 0.001, "shift_ms": 5.0, "detail": evil},
        ],
        "tests": {"new_failures": [f"smoke: {evil or 'test_checkout'}"], "fixed": ["smoke: t2"]},
        "findings": [],
        "base_timeline": timeline,
    }  # fmt: skip
    return data


def test_a_fork_result_keeps_its_baseline_comparison_and_cold_start(
    fork: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert publish(fork, tmp_path, monkeypatch, artifact(tmp_path, with_baseline())) == 0
    [comment] = fork.comments(7)
    body = comment["body"]
    assert "Against the baseline" in body
    assert "0123456789ab" in body
    assert "9.0 → 14.0" in body  # the endpoint's p95, base -> now
    assert "regressed (+5.0 ms typical)" in body
    assert "1 new failures" in body
    assert "Cold start: ready after 2.5 s, first answer 35 ms" in body
    assert "p95 latency (ms): baseline, then this run" in body  # the chart of both timelines


def test_the_action_carries_baseline_cold_start_and_messages_cut_over(
    fork: FakeGitHub, tmp_path: Path
) -> None:
    from gate.action import step_run

    artifact(tmp_path, with_baseline())
    out = tmp_path / "github_output"
    assert step_run(action_env(tmp_path, fork, "artifact/result.json", out)) == 0
    written = json.loads((tmp_path / "gate-results" / "result.json").read_text())
    assert written["baseline"]["endpoints"][0]["verdict"] == "regressed"
    assert written["baseline"]["tests"]["fixed"] == ["smoke: t2"]
    assert written["cold_start"] == {"ready_s": 2.5, "first_ms": 35.0, "attempts": 3}
    assert written["suites"][0]["messages_cut"] == 4
    assert written["stress"]["metrics"]["http_req_failed"] == {"rate": 0.0, "count": 500}


def test_hostile_baseline_text_is_escaped_in_every_surface(
    fork: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evil = "@octo/admins <img src=x onerror=alert(1)> [click](javascript:alert(1))"
    assert publish(fork, tmp_path, monkeypatch, artifact(tmp_path, with_baseline(evil))) == 0
    [check] = fork.check_runs()
    output = check["output"]
    body = fork.comments(7)[0]["body"]
    assert "Against the baseline" in body
    for markdown in (body, output["summary"], output.get("text") or ""):
        assert_inert(markdown)


def assert_inert(markdown: str) -> None:
    """Rendered by GitHub's parser with raw HTML let through, nothing hostile comes alive."""
    html = cmarkgfm.markdown_to_html_with_extensions(
        markdown,
        options=Options.CMARK_OPT_UNSAFE,  # only our escaping stands between input and HTML
        extensions=["table", "autolink", "strikethrough"],
    )
    assert not re.search(r"<(img|script|marquee)\b", html)
    assert "javascript:" not in " ".join(re.findall(r'href="([^"]*)"', html))
    # GitHub links no mentions inside code; elsewhere they must be broken
    prose = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", html, flags=re.S)
    assert "@octo/admins" not in prose


def _refused(
    fake: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    path: Path,
    payload: dict[str, Any] | None = None,
) -> str:
    assert publish(fake, tmp_path, monkeypatch, path, payload) == 0
    assert fake.count("POST", r".") == 0
    assert fake.count("PATCH", r".") == 0
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "::warning" in out
    assert "nothing was published" in out
    return out


@pytest.mark.parametrize(
    ("result", "claim", "words"),
    [
        ("{not json", None, "not valid JSON"),
        ({**gate_result().to_json(), "schema": 2}, None, "not a schema 1 result.json"),
        ([1, 2], None, "not a schema 1 result.json"),
        ({"schema": 1, "verdict": "pass"}, None, "outcome: Field required"),
        (
            {**gate_result().to_json(), "totals": {"tests": "3"}},
            None,
            "totals.tests: Input should be a valid integer",
        ),
        ({**gate_result().to_json(), "verdict": "maybe"}, None, "verdict: Input should be"),
        (
            {**gate_result(["x"]).to_json(), "verdict": "pass"},
            None,
            "verdict pass contradicts outcome failed",
        ),
        (
            {**with_baseline(), "stress": {"metrics": {"http_req_duration": {"p95": "slow"}}}},
            None,
            "stress.metrics.http_req_duration.p95: Input should be a valid number",
        ),
        ({**with_baseline(), "stress": {"requests": "500"}}, None, "stress.requests"),
        ({**with_baseline(), "stress": {"duration_s": 1e999}}, None, "stress.duration_s"),
        ({**with_baseline(), "stress": {"timeline": [{"p95": 1}]}}, None, "stress.timeline.0.t"),
        ({**with_baseline(), "stress": ["not", "an", "object"]}, None, "stress"),
        (
            {**with_baseline(), "cold_start": {"ready_s": "soon"}},
            None,
            "cold_start.ready_s: Input should be a valid number",
        ),
        (
            {**with_baseline(), "baseline": {"source": {"path": 3}}},
            None,
            "baseline.source.path: Input should be a valid string",
        ),
        (
            {
                **with_baseline(),
                "baseline": {
                    **with_baseline()["baseline"],
                    "endpoints": [
                        {**with_baseline()["baseline"]["endpoints"][0], "verdict": "<b>ok</b>"}
                    ],
                },
            },
            None,
            "baseline.endpoints.0.verdict: Input should be",
        ),
        (None, {"repository": "evil/repo"}, "claims repository 'evil/repo'"),
        (None, {"head_sha": "e" * 40}, "claims commit"),
        (None, {"pull_request": "7"}, "not a valid claim"),
    ],
)
def test_a_hostile_or_broken_artifact_posts_nothing(
    fork: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    result: Any,
    claim: Any,
    words: str,
) -> None:
    out = _refused(fork, tmp_path, monkeypatch, capsys, artifact(tmp_path, result, claim))
    assert words in out


def test_a_claim_of_another_pr_than_the_payloads_is_refused(
    fork: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = artifact(tmp_path, claim={"pull_request": 8})
    out = _refused(fork, tmp_path, monkeypatch, capsys, path, workflow_run(pulls=[7]))
    assert "claims pull request #8, but the workflow_run is for #7" in out


def test_a_missing_artifact_posts_nothing(
    fork: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _refused(fork, tmp_path, monkeypatch, capsys, tmp_path / "nothing" / "result.json")
    assert "not found; was the gate-results artifact uploaded" in out


def test_an_oversized_artifact_posts_nothing(
    fork: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = gate_result().to_json()
    data["reasons"] = ["x" * 1024] * (5 * 1024 + 1)
    out = _refused(fork, tmp_path, monkeypatch, capsys, artifact(tmp_path, data))
    assert "more than the 5242880 bytes allowed" in out


def test_a_symlinked_result_posts_nothing(
    fork: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = tmp_path / "elsewhere.json"
    real.write_text(json.dumps(gate_result().to_json()))
    (tmp_path / "artifact").mkdir()
    link = tmp_path / "artifact" / "result.json"
    link.symlink_to(real)
    out = _refused(fork, tmp_path, monkeypatch, capsys, link)
    assert "is a symbolic link" in out


def test_a_run_of_another_repository_posts_nothing(
    fork: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    payload = workflow_run(repository={"full_name": "evil/repo"})
    out = _refused(fork, tmp_path, monkeypatch, capsys, artifact(tmp_path), payload)
    assert "the workflow_run belongs to evil/repo, not octo/demo" in out


# --- the action's `result` input (python -m gate.action run, in publish mode) --------------


def action_env(tmp_path: Path, fake: FakeGitHub, result: str, out: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(workflow_run()))
    return {
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": fake.repository,
        "GITHUB_API_URL": fake.url,
        "GITHUB_OUTPUT": str(out),
        "GATE_INPUT_RESULT": result,
        "GATE_INPUT_WORKING_DIRECTORY": str(tmp_path),
        "GATE_INPUT_GITHUB_TOKEN": "t",
        "GATE_INPUT_PUBLISH": "comment",
    }


def outputs(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return {lines[i].split("<<")[0]: lines[i + 1] for i in range(0, len(lines), 3)}


def test_the_action_rebuilds_the_artifact_into_gate_results(
    fork: FakeGitHub, tmp_path: Path
) -> None:
    from gate.action import step_run

    data = gate_result(["x"]).to_json()
    data["unknown"] = "dropped"  # only schema 1's fields go on
    artifact(tmp_path, data)
    out = tmp_path / "github_output"
    assert step_run(action_env(tmp_path, fork, "artifact/result.json", out)) == 0
    written = tmp_path / "gate-results" / "result.json"
    assert outputs(out) == {"exit-code": "1", "result": str(written.resolve())}
    assert "unknown" not in json.loads(written.read_text())


def test_the_action_reads_a_result_in_gate_results_before_clearing_it(
    fork: FakeGitHub, tmp_path: Path
) -> None:
    from gate.action import step_run

    (tmp_path / "gate-results").mkdir()
    (tmp_path / "gate-results" / "result.json").write_text(json.dumps(gate_result().to_json()))
    out = tmp_path / "github_output"
    assert step_run(action_env(tmp_path, fork, "gate-results/result.json", out)) == 0
    assert outputs(out)["exit-code"] == "0"


def test_the_action_refuses_a_hostile_artifact_and_clears_a_stale_result(
    fork: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gate.action import step_finish, step_run

    (tmp_path / "gate-results").mkdir()
    stale = tmp_path / "gate-results" / "result.json"
    stale.write_text(json.dumps(gate_result().to_json()))
    artifact(tmp_path, {**gate_result().to_json(), "schema": 2})
    out = tmp_path / "github_output"
    assert step_run(action_env(tmp_path, fork, "artifact/result.json", out)) == 0
    assert outputs(out) == {"exit-code": "refused", "result": ""}
    assert not stale.exists()
    assert "::warning title=deploy-gate result::nothing was published" in capsys.readouterr().out
    assert step_finish({"GATE_EXIT_CODE": "refused", "GATE_VERDICT": ""}) == 0
