"""The command line's exit codes and the configuration loader's error messages."""

import re
from pathlib import Path

import pytest

from gate.cli import main
from gate.config import load_config, validate_config
from gate.errors import ConfigError


def test_unknown_key_names_file_key_and_suggestion(tmp_path: Path) -> None:
    cfg = tmp_path / "gate.toml"
    cfg.write_text("[policy]\nskip_budjet = 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={})
    message = str(info.value)
    assert str(cfg) in message
    assert "policy.skip_budjet" in message
    assert "did you mean 'skip_budget'" in message


def test_wrong_type_says_expected_and_found() -> None:
    with pytest.raises(ConfigError) as info:
        validate_config({"policy": {"min_tests": "5"}}, source="x.toml", env={})
    assert "policy.min_tests" in str(info.value)
    assert "'5' (str)" in str(info.value)


def test_interpolation_registers_secret_and_missing_var_is_named() -> None:
    config = validate_config({"auth": {"bearer": "Bearer ${TOKEN}"}}, env={"TOKEN": "s3cr3t"})
    assert config.auth.bearer == "Bearer s3cr3t"
    assert "s3cr3t" in config.secret_values
    with pytest.raises(ConfigError, match="TOKEN is not set"):
        validate_config({"auth": {"bearer": "${TOKEN}"}}, env={})
    defaulted = validate_config({"target": "${URL:-http://127.0.0.1:1}"}, env={})
    assert defaulted.target == "http://127.0.0.1:1"
    assert not defaulted.secret_values


def test_pyproject_tool_gate_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.gate]\nenvironment = "preview"\nbogus = 1\n')
    with pytest.raises(ConfigError, match=r"tool\.gate\.bogus"):
        load_config(env={})


def test_missing_explicit_config_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "nothing.xml", "--config", "/nonexistent/gate.toml"]) == 2
    assert "/nonexistent/gate.toml" in capsys.readouterr().err


def test_out_that_is_a_file_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    assert main(["report", "nothing.xml", "--out", str(taken / "sub")]) == 2
    assert f"{taken} is a file, not a folder" in capsys.readouterr().err


def _raising(exc: BaseException) -> object:
    def command(args: object) -> int:
        raise exc

    return command


def test_internal_error_is_block_with_redacted_message_and_debug_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gate.commands.report

    boom = RuntimeError("sent Authorization: Bearer abcdefgh12345678")
    monkeypatch.setattr(gate.commands.report, "main", _raising(boom))
    monkeypatch.delenv("GATE_DEBUG", raising=False)
    assert main(["report", "x.xml"]) == 1
    err = capsys.readouterr().err
    assert "internal error, the verdict is block: RuntimeError" in err
    assert "abcdefgh12345678" not in err
    assert "Traceback" not in err
    assert "GATE_DEBUG=1" in err
    monkeypatch.setenv("GATE_DEBUG", "1")
    assert main(["report", "x.xml"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_os_error_is_block_naming_the_file_not_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gate.commands.report

    denied = PermissionError(13, "Permission denied", "out/result.json")
    monkeypatch.setattr(gate.commands.report, "main", _raising(denied))
    assert main(["report", "x.xml"]) == 1
    err = capsys.readouterr().err
    assert "gate report: out/result.json: Permission denied: the verdict is block" in err
    assert "bug" not in err


def test_config_that_is_not_utf8_or_a_folder_is_usage_error(tmp_path: Path) -> None:
    latin = tmp_path / "gate.toml"
    latin.write_bytes(b'target = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"gate.toml: not valid TOML: not UTF-8 text \(byte 13\)"):
        load_config(latin, env={})
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        load_config(tmp_path, env={})


def test_a_gate_error_is_block_with_its_message_not_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gate.commands.demo
    from gate.demo import DemoError

    failed = DemoError("the demo service did not start: it exited with code 1")
    monkeypatch.setattr(gate.commands.demo, "main", _raising(failed))
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "gate demo: the demo service did not start: it exited with code 1" in err
    assert "the verdict is block" in err
    assert "bug" not in err


def test_gate_debug_shows_the_traceback_of_a_suite_that_could_not_be_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gate.pipeline

    def broken(*args: object) -> None:
        raise RuntimeError("policy bug")

    monkeypatch.setattr(gate.pipeline, "judge_suite", broken)
    report = tmp_path / "smoke.xml"
    report.write_text('<testsuite><testcase classname="c" name="t"/></testsuite>')
    args = ["report", str(report), "--out", str(tmp_path / "out")]
    monkeypatch.delenv("GATE_DEBUG", raising=False)
    assert main(args) == 1
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.setenv("GATE_DEBUG", "1")
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "internal error while judging the suite: RuntimeError: policy bug" in captured.out
    assert "Traceback (most recent call last)" in captured.err


def test_literal_bearer_tokens_are_secrets_too() -> None:
    config = validate_config(
        {"auth": {"bearer": "literal-tok-1", "identities": {"bob": {"bearer": "literal-tok-2"}}}},
        env={},
    )
    assert {"literal-tok-1", "literal-tok-2"} <= config.secret_values


FIRST_HOUR_TOML = """\
target = "${STAGING_URL}"
[[smoke.http]]
path = "/"
[[smoke.http]]
path = "/health"
[[smoke.http]]
path = "/version"
status = "200"
[stress]
duration_s = 4
rate = 0
connections = 5
requests = [{ path = "/a" }, { path = "/a" }]
[stress.thresholds]
http_req_duration = ["p(95)<500", "p95<500"]
"""


def test_every_problem_in_one_message_at_the_keys_as_written(tmp_path: Path) -> None:
    """The first-hour report (issue 15): one round, keys as written, positions counted, no
    dumps of whole tables."""
    cfg = tmp_path / "gate.toml"
    cfg.write_text(FIRST_HOUR_TOML)
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={})
    lines = str(info.value).splitlines()
    assert lines[0] == f"{cfg}: invalid configuration (5 problems):"
    assert lines[1:] == [
        "  - key 'target' uses ${STAGING_URL}, but the environment variable STAGING_URL is not "
        "set; set it (in Actions: `env: STAGING_URL: ${{ secrets.STAGING_URL }}`) or write "
        "${STAGING_URL:-default}",
        "  - key 'smoke.http[2].status': input should be a valid integer; found '200' (str) "
        "(0-based: http[2] is the 3rd entry)",
        "  - key 'stress.rate': input should be greater than 0; found 0 (int)",
        "  - key 'stress.requests': two requests share the endpoint name 'GET /a'; set `name`",
        "  - key 'stress.thresholds.http_req_duration[1]': 'p95<500': unknown aggregation 'p95' "
        "(expected avg, min, max, med, count, rate or p(N), e.g. p(95)) "
        "(0-based: http_req_duration[1] is the 2nd entry)",
    ]


def test_threshold_problems_of_several_metrics_come_together() -> None:
    thresholds = {"http_req_failed": ["p(95)<0.01"], "http_req_duration": ["rate<1"]}
    with pytest.raises(ConfigError) as info:
        validate_config({"stress": {"rate": 0, "thresholds": thresholds}}, env={})
    assert str(info.value).splitlines()[1:] == [
        "  - key 'stress.rate': input should be greater than 0; found 0 (int)",
        "  - key 'stress.thresholds': 'http_req_failed': 'p(95)<0.01': aggregation 'p(95)' does "
        "not apply to a rate metric (allowed: rate); 'http_req_duration': 'rate<1': aggregation "
        "'rate' does not apply to a trend metric (allowed: avg, min, max, med, count, p(N))",
    ]


def test_a_model_level_problem_carries_no_dump_of_the_table() -> None:
    quarantine = [{"id": "t::a", "reason": "r"}, {"id": "t::a", "reason": "r"}]
    with pytest.raises(ConfigError) as info:
        validate_config({"policy": {"quarantine": quarantine}}, source="gate.toml", env={})
    assert str(info.value).splitlines()[1] == "  - key 'policy': quarantine lists 't::a' twice"


# --- suite names and identities: validated once, in the configuration layer -------------------


def test_unknown_suite_in_the_config_names_the_key_valid_names_and_a_guess() -> None:
    with pytest.raises(ConfigError) as info:
        validate_config({"suites": ["smoke", "strss", "load"]}, source="g.toml", env={})
    message = str(info.value)
    assert "g.toml: invalid configuration (2 problems)" in message
    assert "key 'suites[1]': unknown suite(s) 'strss'; valid: smoke, e2e, stress" in message
    assert "did you mean 'stress'?" in message
    assert "key 'suites[2]': unknown suite(s) 'load'; valid: smoke, e2e, stress" in message
    assert validate_config({"suites": ["stress", "smoke"]}, env={}).suites == ["stress", "smoke"]


def test_unknown_suite_in_the_config_is_exit_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('suites = ["smok"]\n[smoke]\n')
    assert main(["run", "--config", str(config), "--target", "http://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "key 'suites[0]'" in err
    assert "did you mean 'smoke'?" in err


def test_suite_names_get_one_answer_from_the_config_the_cli_and_the_action(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gate.action import InputError, parse_inputs
    from gate.config.suites import parse_suites, suite_problem
    from gate.errors import UsageError

    expected = "unknown suite(s) 'smok'; valid: smoke, e2e, stress; did you mean 'smoke'?"
    assert suite_problem(["smoke", "smok"]) == expected
    with pytest.raises(UsageError) as cli:
        parse_suites(["smoke", " smok "], where="--suites")
    assert str(cli.value) == f"--suites: {expected}"
    with pytest.raises(ConfigError, match=r"suites\[1\]': " + re.escape(expected)):
        validate_config({"suites": ["smoke", "smok"]}, env={})
    env = {
        "GATE_INPUT_GITHUB_TOKEN": "t0ken",
        "GATE_INPUT_TARGET_URL": "http://127.0.0.1:1",
        "GATE_INPUT_SUITES": "smoke,smok",
        "GATE_INPUT_WORKING_DIRECTORY": str(tmp_path),
    }
    with pytest.raises(InputError) as action:
        parse_inputs(env)
    assert str(action.value) == f"input `suites`: {expected}"
    assert main(["run", "--target", "http://127.0.0.1:1", "--suites", "smoke,smok"]) == 2
    assert f"--suites: {expected}" in capsys.readouterr().err


def test_several_unknown_suites_each_get_their_guess() -> None:
    from gate.config.suites import suite_problem

    assert suite_problem(["smok", "e3e", "zzz"]) == (
        "unknown suite(s) 'smok', 'e3e', 'zzz'; valid: smoke, e2e, stress; "
        "did you mean 'smoke' for 'smok' and 'e2e' for 'e3e'?"
    )
    assert suite_problem(["smoke", "e2e", "stress"]) is None


def test_unknown_identities_are_config_errors_at_load_naming_every_key(tmp_path: Path) -> None:
    """Checked once when the config is read, whichever suites then run; every use is listed."""
    config = tmp_path / "pyproject.toml"
    config.write_text(
        "[tool.gate.auth.identities.bob]\nbearer = 'x'\n"
        "[[tool.gate.smoke.http]]\npath = '/'\n"
        "[[tool.gate.smoke.http]]\npath = '/me'\nidentity = 'dave'\n"
        "[[tool.gate.smoke.websocket]]\npath = '/ws'\nidentity = 'bob'\n"
        "[[tool.gate.e2e.flows]]\nname = 'iso'\n"
        "[[tool.gate.e2e.flows.steps]]\nrequest = 'GET /'\n"
        "[[tool.gate.e2e.flows.steps]]\nwebsocket = '/ws'\nidentities = ['bob', 'carol']\n"
        "isolate = '$.user'\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(config, env={})
    lines = str(info.value).splitlines()
    assert lines[0] == f"{config}: invalid configuration (2 problems):"
    assert lines[1] == (
        "  - key 'tool.gate.smoke.http[1].identity' uses identity 'dave', which is not in "
        "[auth.identities] (bob) (0-based: http[1] is the 2nd entry)"
    )
    assert lines[2].startswith(
        "  - key 'tool.gate.e2e.flows[0].steps[1]': flow 'iso', step 2 ('WS /ws') uses "
        "identity 'carol', which is not in [auth.identities] (bob)"
    )
    assert len(lines) == 3
