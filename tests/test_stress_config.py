"""`[stress]` configuration errors: exit 2 naming the key, what is wrong, and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.cli import main
from gate.config import load_config, validate_config
from gate.config.stress import check_hosts
from gate.errors import ConfigError


def _error(stress: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config({"stress": stress}, source="gate.toml", env={})
    return str(info.value)


def test_unparsable_threshold_names_key_index_and_part() -> None:
    message = _error({"thresholds": {"http_req_duration": ["p(95)<500", "p95<500"]}})
    assert "gate.toml" in message
    assert "key 'stress.thresholds.http_req_duration[1]':" in message  # as written: no .threshold
    assert "(0-based: http_req_duration[1] is the 2nd entry)" in message
    assert "unknown aggregation 'p95'" in message
    assert "e.g. p(95)" in message


def test_unknown_metric_with_did_you_mean() -> None:
    message = _error({"thresholds": {"http_req_duraton": ["p(95)<500"]}})
    assert "stress.thresholds.http_req_duraton" in message
    assert "did you mean 'http_req_duration'" in message


def test_unknown_endpoint_tag_keeps_its_case_and_suggests() -> None:
    message = _error(
        {
            "requests": [{"path": "/health"}],
            "thresholds": {"http_req_duration{endpoint:GET /helth}": ["p(95)<5"]},
        }
    )
    assert "no request in [[stress.requests]] is named 'GET /helth'" in message
    assert "did you mean 'GET /health'" in message


def test_bad_object_form_names_the_field() -> None:
    bad = {"threshold": "p(99)<1500", "abortOnFail": True, "delayAbortEval": "ten"}
    message = _error({"thresholds": {"http_req_duration": [bad]}})
    assert "stress.thresholds.http_req_duration[0].delayAbortEval" in message
    assert "expected a duration like 500ms, 10s, 1m" in message


@pytest.mark.parametrize("rate", [0, -5])
def test_rate_must_be_positive(rate: int) -> None:
    message = _error({"rate": rate})
    assert "key 'stress.rate': input should be greater than 0" in message


def test_duration_and_requests_over_the_caps() -> None:
    assert "key 'stress.duration_s': 4000 s is over the hard cap of 1800 s" in _error(
        {"duration_s": 4000}
    )
    stages = [{"duration_s": 1000, "target": 5}, {"duration_s": 1000, "target": 5}]
    assert "stages last 2000 s in all, over the hard cap" in _error({"stages": stages})
    message = _error({"rate": 5000, "duration_s": 1000})
    assert "plans 5,000,000 requests, over stress.max_requests = 1,000,000" in message
    assert "hard cap" in _error({"max_requests": 10**9})


def test_request_path_shape() -> None:
    message = _error({"requests": [{"path": "health"}]})
    assert "stress.requests[0].path" in message


def test_hosts_outside_the_target_need_the_allowlist() -> None:
    config = validate_config(
        {
            "stress": {
                "requests": [{"path": "/"}, {"path": "https://api.other.example/v1"}],
                "websocket": {"path": "wss://ws.third.example/socket"},
            }
        },
        env={},
    ).stress
    assert config is not None
    problems = check_hosts(config, "https://staging.example.com")
    assert problems == [
        "stress.requests[1].path: host 'api.other.example' is neither the target's host "
        "'staging.example.com' nor in stress.allow_hosts; load goes only where it is "
        "explicitly allowed (0-based: requests[1] is the 2nd entry)",
        "stress.websocket.path: host 'ws.third.example' is neither the target's host "
        "'staging.example.com' nor in stress.allow_hosts; load goes only where it is "
        "explicitly allowed",
    ]
    allowed = config.model_copy(update={"allow_hosts": ["API.other.example", "ws.third.example"]})
    assert check_hosts(allowed, "https://staging.example.com") == []


def test_toml_example_loads(tmp_path: Path) -> None:
    cfg = tmp_path / "gate.toml"
    cfg.write_text(
        """
[stress]
rate = 20
duration_s = 5
[[stress.requests]]
path = "/health"
weight = 3
[[stress.requests]]
method = "POST"
path = "/api/jobs"
name = "create job"
headers = { Authorization = "Bearer ${TOKEN}" }
body = '{"script": "echo"}'
[stress.thresholds]
http_req_duration = ["p(95)<500", "p(99)<1500"]
http_req_failed = [{ threshold = "rate<0.01", abortOnFail = true, delayAbortEval = "10s" }]
"http_req_duration{endpoint:create job}" = ["avg<300"]
"""
    )
    config = load_config(cfg, env={"TOKEN": "t0ps3cret"})
    assert config.stress is not None
    assert config.stress.planned_requests == 100
    assert config.stress.parsed_thresholds()[2] == ("http_req_failed", "rate<0.01", True, 10.0)
    assert "t0ps3cret" in config.secret_values


def test_cli_exit_2_on_a_bad_stress_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "gate.toml"
    cfg.write_text('[stress]\nthresholds = { http_req_duration = ["p(95)<<500"] }\n')
    code = main(["merge", str(tmp_path), "--out", str(tmp_path / "out"), "--config", str(cfg)])
    assert code == 2
    assert "stress.thresholds.http_req_duration[0]" in capsys.readouterr().err


def test_documented_stress_examples_are_valid(tmp_path: Path) -> None:
    section = (Path(__file__).parent.parent / "docs" / "stress.md").read_text()
    blocks = [b.split("```", 1)[0] for b in section.split("```toml\n")[1:]]
    assert len(blocks) >= 2
    for block in blocks:
        text = block if block.lstrip().startswith("[stress]") else "[stress]\n" + block
        cfg = tmp_path / "gate.toml"
        if "[[stress.requests]]" not in text and "{endpoint:GET /health}" in text:
            text = text.replace("[stress]\n", '[stress]\nrequests = [{ path = "/health" }]\n', 1)
        cfg.write_text(text)
        config = load_config(cfg, env={"TOKEN": "t0ps3cret"})
        assert config.stress is not None
        assert config.stress.parsed_thresholds()


def test_header_injection_and_websocket_path_shape() -> None:
    message = _error({"requests": [{"path": "/", "headers": {"X-A": "1\r\nX-Evil: 2"}}]})
    assert "stress.requests[0].headers" in message
    assert "stress.websocket.path" in _error({"websocket": {"path": "ftp://h/x"}})
