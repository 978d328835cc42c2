"""`gate run` through the real command line: target precedence, usage errors (exit 2), and a
full run against the demo service process."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.cli import main


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
    assert "'cli-not-a-url' is not a URL" in capsys.readouterr().err
    assert main(["run"]) == 2
    assert "'env-not-a-url' is not a URL" in capsys.readouterr().err
    monkeypatch.delenv("GATE_TARGET_URL")
    assert main(["run"]) == 2
    assert "'cfg-not-a-url' is not a URL" in capsys.readouterr().err


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
