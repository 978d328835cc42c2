"""Smoke HTTP checks against httpbin (PyPI) served by gunicorn on loopback, run as the runner
runs them: a pytest subprocess writing JUnit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers.httpbin import httpbin_server
from servers.junit import Run, run_pytest

from gate.checks import pytest_targets
from gate.config import GateConfig, load_config
from gate.errors import ConfigError

TOKEN = "tok-3f9a1c77e2"

CONFIG = """
[auth]
bearer = "${HTTPBIN_TOKEN}"

[[smoke.http]]
path = "/get"
max_ms = 5000
expect_json = { args = {} }
priority = "p1"

[[smoke.http]]
path = "/status/503"
priority = "p2"

[[smoke.http]]
name = "html is not JSON"
path = "/html"
expect_json = { ok = true }

[[smoke.http]]
path = "/delay/2"
max_ms = 300

[[smoke.http]]
name = "echoed token must be redacted"
path = "/headers"
expect_json = { headers = { Authorization = "something else" } }

[[smoke.http]]
method = "POST"
path = "/post"
json = { job = "build" }
expect_json = { json = { job = "build" } }
contains = "build"
expect_headers = { content-type = "application/json" }

[[smoke.http]]
name = "text match fails"
path = "/html"
contains = "Captain Nemo"

[[smoke.http]]
name = "anonymous request"
path = "/bearer"
auth = false
status = 401

[smoke.security_headers]
path = "/get"

[[smoke.cors]]
path = "/get"
origin = "https://app.example"
method = "PUT"
request_headers = ["X-Trace"]

[[smoke.cors]]
path = "/get"
origin = "https://evil.example"
allowed = false

[smoke.https_redirect]
http_url = "{httpbin}/get"
"""


@pytest.fixture(scope="module")
def httpbin() -> Iterator[str]:
    with httpbin_server() as url:
        yield url


@pytest.fixture(scope="module")
def smoke_run(httpbin: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("smoke")
    config = tmp / "gate.toml"
    config.write_text(CONFIG.replace("{httpbin}", httpbin))
    targets = pytest_targets("smoke", load_config(config, env={"HTTPBIN_TOKEN": TOKEN}))
    return run_pytest(targets, tmp, target=httpbin, config=config, env={"HTTPBIN_TOKEN": TOKEN})


def test_one_readable_testcase_per_check(smoke_run: Run) -> None:
    names = [(c.classname, c.name) for c in smoke_run.cases]
    assert ("smoke.http", "GET /get -> 200 within 5000 ms") in names
    assert ("smoke.http", "GET /status/503 -> 200") in names
    assert ("smoke.http", "POST /post -> 200") in names
    assert (
        "smoke.security_headers",
        "security headers on /get: strict-transport-security, "
        "x-content-type-options, content-security-policy",
    ) in names
    assert len(names) == 12, smoke_run.output


def test_passing_checks_pass(smoke_run: Run) -> None:
    for name in ["GET /get -> 200 within 5000 ms", "POST /post -> 200", "anonymous request"]:
        assert smoke_run.case(name).outcome == "passed", smoke_run.case(name)
    allowed = smoke_run.case("CORS preflight PUT /get from https://app.example allowed")
    assert allowed.outcome == "passed", allowed


def test_cors_origin_that_must_be_refused(smoke_run: Run) -> None:
    case = smoke_run.case("CORS preflight GET /get from https://evil.example refused")
    assert case.outcome == "failure"
    assert "from https://evil.example: allowed, but this origin must be refused" in case.message


def test_status_mismatch_names_status_and_body(smoke_run: Run) -> None:
    case = smoke_run.case("GET /status/503 -> 200")
    assert case.outcome == "failure"
    assert "GET /status/503: status 503, expected 200" in case.message


def test_priority_property(smoke_run: Run) -> None:
    assert smoke_run.case("GET /get -> 200 within 5000 ms").properties == {"priority": "p1"}
    assert smoke_run.case("GET /status/503 -> 200").properties == {"priority": "p2"}
    assert smoke_run.case("html is not JSON").properties == {}


def test_non_json_body_says_content_type_and_excerpt(smoke_run: Run) -> None:
    message = smoke_run.case("html is not JSON").message
    assert "expected a JSON body, got text/html" in message
    assert "<!DOCTYPE html>" in message


def test_latency_budget(smoke_run: Run) -> None:
    message = smoke_run.case("GET /delay/2 -> 200 within 300 ms").message
    assert "over the 300 ms budget" in message


def test_secret_echoed_by_server_is_redacted(smoke_run: Run) -> None:
    case = smoke_run.case("echoed token must be redacted")
    assert case.outcome == "failure"
    assert 'JSON mismatch: $.headers.Authorization is "Bearer ***"' in case.message
    assert TOKEN not in smoke_run.xml
    assert TOKEN not in smoke_run.output
    assert "***" in case.message


def test_text_match(smoke_run: Run) -> None:
    assert "body does not contain 'Captain Nemo'" in smoke_run.case("text match fails").message


def test_missing_security_headers_are_listed(smoke_run: Run) -> None:
    case = next(c for c in smoke_run.cases if c.classname == "smoke.security_headers")
    assert "missing security header(s) strict-transport-security" in case.message
    assert "content-security-policy" in case.message


def test_http_without_redirect_to_https_fails(smoke_run: Run) -> None:
    case = next(c for c in smoke_run.cases if c.classname == "smoke.https_redirect")
    assert case.outcome == "failure"
    assert "status 200, expected a redirect (301/308) to https" in case.message


def test_nothing_configured_collects_zero_tests_not_a_skip(tmp_path: Path, httpbin: str) -> None:
    config = tmp_path / "gate.toml"
    config.write_text("[smoke]\ntimeout_s = 5\n")
    targets = pytest_targets("smoke", load_config(config, env={}))
    assert len(targets) == 1
    run = run_pytest(targets, tmp_path, target=httpbin, config=config)
    assert run.returncode == 5, run.output  # "no tests collected": inconclusive, never a pass
    assert run.cases == []
    assert pytest_targets("smoke", GateConfig()) == []  # no [smoke] section: not a suite


def test_unknown_check_key_suggests_the_toml_spelling(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('[[smoke.http]]\npath = "/"\njsn = { a = 1 }\nexpect_jsn = { a = 1 }\n')
    with pytest.raises(ConfigError) as info:
        load_config(config, env={})
    message = str(info.value)
    assert "unknown key 'smoke.http[0].jsn' (did you mean 'json'?)" in message
    assert "unknown key 'smoke.http[0].expect_jsn' (did you mean 'expect_json'?)" in message


def test_pytest_output_names_failures_by_id_and_explains_deselected(smoke_run: Run) -> None:
    """Issue 15: `FAILED ../smoke.http::...` when the working directory was elsewhere, and an
    unexplained `3 deselected` (tls, websocket and rate_limit have nothing configured here)."""
    failed = [line for line in smoke_run.output.splitlines() if line.startswith("FAILED ")]
    assert failed, smoke_run.output
    for line in failed:
        assert line.startswith(("FAILED smoke.http::", "FAILED smoke.cors::")) or line.startswith(
            ("FAILED smoke.security_headers::", "FAILED smoke.https_redirect::")
        ), line
    assert (
        "deploy-gate: 3 deselected = built-in check kinds with nothing configured "
        "(rate_limit, tls, websocket); they are neither tests nor skips" in smoke_run.output
    )
