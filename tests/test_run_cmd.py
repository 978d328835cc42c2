"""`gate run` through the real command line: target precedence, usage errors (exit 2), and a
full run against the demo service process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gate.cli import main
from gate.demo import launch


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATE_TARGET_URL", raising=False)
    monkeypatch.delenv("GATE_CONFIG", raising=False)
    file = tmp_path / "gate.toml"
    file.write_text('target = "cfg-not-a-url"\n[smoke]\n')
    return file


def test_target_precedence_is_flag_then_env_then_config(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATE_TARGET_URL", "env-not-a-url")
    assert main(["run", "--target", "cli-not-a-url"]) == 2
    assert "'cli-not-a-url' (from --target) is not a URL" in capsys.readouterr().err
    assert main(["run"]) == 2
    assert (
        "'env-not-a-url' (from the environment variable GATE_TARGET_URL) is not a URL"
        in capsys.readouterr().err
    )
    monkeypatch.delenv("GATE_TARGET_URL")
    assert main(["run"]) == 2
    assert "'cfg-not-a-url' (from key 'target' in gate.toml) is not a URL" in (
        capsys.readouterr().err
    )


def test_no_target_anywhere_says_how_to_set_one(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text("[smoke]\n")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "no target" in err
    assert "--target" in err
    assert "GATE_TARGET_URL" in err


def test_unknown_suite_is_exit_2_listing_the_valid_ones(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--target", "http://127.0.0.1:1", "--suites", "smoke,load"]) == 2
    assert "unknown suite(s) 'load'; valid: smoke, e2e, stress" in capsys.readouterr().err


def test_selected_but_unconfigured_suite_is_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--target", "http://127.0.0.1:1", "--suites", "e2e"]) == 2
    assert "e2e selected but not configured in gate.toml" in capsys.readouterr().err


def test_nothing_configured_is_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text("")
    assert main(["run", "--target", "http://127.0.0.1:1"]) == 2
    assert "nothing to run" in capsys.readouterr().err


def test_missing_config_file_is_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--config", "nope.toml", "--target", "http://127.0.0.1:1"]) == 2
    assert "nope.toml: configuration file not found" in capsys.readouterr().err


# --- whole runs through the command line --------------------------------------------------


@pytest.fixture
def demo_config(config: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUN_CMD_TOKEN", "run-cmd-token-1")
    config.write_text(
        """
[readiness]
path = "/health"
timeout_s = 2
interval_s = 0.2
[auth]
bearer = "${RUN_CMD_TOKEN}"
[[smoke.http]]
path = "/api/me"
expect_json = {user = "alice"}
[[smoke.http]]
method = "POST"
path = "/api/jobs"
json = {script = "smoke.py"}
status = 201
"""
    )
    return config


def result_json(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "result.json").read_text()))


def test_gate_run_passes_against_a_healthy_service(
    demo_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with launch(token="run-cmd-token-1") as url:
        code = main(["run", "--target", url, "--out", str(tmp_path / "out")])
    assert code == 0
    result = result_json(tmp_path / "out")
    assert (result["verdict"], result["target"]) == ("pass", url)
    assert result["totals"]["tests"] == 2
    assert (tmp_path / "out" / "junit" / "smoke.xml").is_file()
    assert "run-cmd-token-1" not in capsys.readouterr().out


def test_gate_run_target_from_the_environment(
    demo_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with launch(token="run-cmd-token-1") as url:
        monkeypatch.setenv("GATE_TARGET_URL", url)
        assert main(["run", "--out", str(tmp_path / "out")]) == 0
    assert result_json(tmp_path / "out")["target"] == url


def test_gate_run_blocks_naming_the_failed_endpoint(demo_config: Path, tmp_path: Path) -> None:
    with launch(fault="http500", token="run-cmd-token-1") as url:
        assert main(["run", "--target", url, "--out", str(tmp_path / "out")]) == 1
    result = result_json(tmp_path / "out")
    (reason,) = [
        r for r in result["reasons"] if r.startswith("smoke: 1 test failed: POST /api/jobs")
    ]
    assert "status 500, expected 201" in reason  # the symptom, not only the check's name
    (problem,) = result["suites"][0]["problems"]
    assert "POST /api/jobs: status 500, expected 201" in problem["message"]


def test_gate_run_blocks_when_the_target_never_gets_ready(
    demo_config: Path, tmp_path: Path
) -> None:
    with launch(fault="down") as url:
        assert main(["run", "--target", url, "--out", str(tmp_path / "out")]) == 1
    result = result_json(tmp_path / "out")
    assert result["verdict"] == "block"
    assert [s["name"] for s in result["suites"]] == ["readiness"]
    assert any(
        r.startswith("readiness") and "connection refused" in r for r in result["reasons"]
    ), result["reasons"]


def test_a_run_ending_in_usage_error_removes_the_earlier_result(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gate-results"
    out.mkdir()
    (out / "result.json").write_text('{"schema": 1, "verdict": "pass"}')
    config.write_text("[smoke]\n")
    assert main(["run"]) == 2
    assert not (out / "result.json").exists()


def test_a_target_from_an_env_variable_is_masked_in_the_usage_error(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text('target = "${SECRET_TARGET}"\n[smoke]\n')
    monkeypatch.setenv("SECRET_TARGET", "internal-host-s3cr3t")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "is not a URL the gate can check" in err
    assert "s3cr3t" not in err


def test_gate_run_asks_the_policy_whether_smoke_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gate.commands.run
    from gate.config import validate_config
    from gate.model import SuiteRun
    from gate.runner import RunnerResult

    asked: dict[str, Any] = {}

    def fake_run_suites(*args: object, **kwargs: Any) -> RunnerResult:
        asked.update(kwargs)
        return RunnerResult()

    monkeypatch.setattr(gate.commands.run, "run_suites", fake_run_suites)
    config = validate_config({"smoke": {}, "policy": {"block_tiers": ["p1"]}}, env={})
    gate.commands.run.execute(
        config, config_path=None, target="http://127.0.0.1:1", suites=None, out_dir=tmp_path
    )
    blocks = asked["blocks"]

    def smoke(tier: str) -> SuiteRun:
        file = tmp_path / f"smoke-{tier}.xml"
        file.write_text(
            '<testsuite><testcase classname="c" name="t"><properties><property name="priority"'
            f' value="{tier}"/></properties><failure message="m"/></testcase></testsuite>'
        )
        return SuiteRun("smoke", [file])

    assert blocks(smoke("p1")) is True
    assert blocks(smoke("p4")) is False  # a relaxed tier warns: e2e and stress still run
    capsys.readouterr()
