"""The check language against a real job/agent server on loopback (tests/servers/jobs.py): captures
in every key, WebSocket headers and event captures, login identities, secrets, flows side by
side, the rate-limit check, typed placeholders; and the configuration errors (exit 2)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from servers.app import serve
from servers.jobs import STATE, Faults, make_app
from servers.junit import Run, run_pytest

from gate.checks import pytest_targets
from gate.cli import main
from gate.config import load_config, validate_config
from gate.errors import ConfigError

AUTH = """
[auth]
bearer = "tok-alice-0001"
[auth.identities.alice]
bearer = "tok-alice-0001"
[auth.identities.bob]
bearer = "tok-bob-0002"
[auth.identities.carol]
[auth.identities.carol.login]
path = "/auth/token"
json = { username = "carol", password = "${CAROL_PW:-pw-carol}" }
token = "$.access_token"
"""

LOGIN_WS = """
[e2e]
[[e2e.flows]]
name = "my events are mine"
  [[e2e.flows.steps]]
  name = "log in"
  request = "POST /auth/token"
  json = { username = "bob", password = "pw-bob" }
  capture = { tok = "$.access_token", uid = "$.user_id" }
  [[e2e.flows.steps]]
  name = "agent run"
  websocket = "/ws/agent"
  ws_auth = "none"
  headers = { Authorization = "Bearer {tok}" }
  send = { type = "run", prompt = "mine" }
  deadline_s = 5
  expect = [
    { type = "agent_started", count = 1, field = "$.user_id", equals = "{uid}" },
    { type = "agent_completed", count = 1, last = true, field = "$.user_id", equals = "{uid}" },
  ]
  capture = { run = { type = "agent_started", path = "$.run_id" } }
  [[e2e.flows.steps]]
  name = "reconnect and resume"
  websocket = "/ws/agent?token={tok}"
  ws_auth = "none"
  send = { type = "resume", run_id = "{run}" }
  deadline_s = 5
  expect = [
    { type = "agent_completed", count = 1, last = true, field = "$.run_id", equals = "{run}" },
  ]
"""


def _run(
    tmp: Path, body: str, faults: Faults | None = None, env: dict[str, str] | None = None
) -> Run:
    env = {"CAROL_PW": "pw-carol", **(env or {})}
    config = tmp / "gate.toml"
    config.write_text(AUTH + body)
    loaded = load_config(config, env=env)
    suite = "e2e" if loaded.e2e is not None else "smoke"
    targets = pytest_targets(suite, loaded)
    with serve(make_app(faults)) as url:
        return run_pytest(targets, tmp, target=url, config=config, env=env)


# --- captures reach WebSocket steps; headers; event captures and reconnects -------------------


def test_login_then_websocket_with_captured_token_header_and_owner(tmp_path: Path) -> None:
    run = _run(tmp_path, LOGIN_WS)
    case = run.case("my events are mine")
    assert case.outcome == "passed", case.message + run.output


def test_events_of_another_user_fail_the_ownership_rule(tmp_path: Path) -> None:
    # logged in as bob, but the socket is opened with alice's token: the events are alice's
    body = LOGIN_WS.replace(
        'Authorization = "Bearer {tok}"', 'Authorization = "Bearer tok-alice-0001"'
    )
    message = _run(tmp_path, body).case("my events are mine").message
    assert "step 2 (agent run)" in message
    assert '\'agent_started\' #1: $.user_id is "uid-alice", expected "uid-bob"' in message


def test_a_missing_event_capture_names_the_type_and_the_events(tmp_path: Path) -> None:
    body = LOGIN_WS.replace(
        'type = "agent_started", path = "$.run_id"', 'type = "agent_paused", path = "$.run_id"'
    )
    message = _run(tmp_path, body).case("my events are mine").message
    assert (
        "capture 'run': no 'agent_paused' event has $.run_id (events: agent_started ->" in message
    )


# --- captures in every expectation, typed placeholders, list forms -------------------------------

EXPECTATIONS = """
[e2e]
[[e2e.flows]]
name = "expectations"
  [[e2e.flows.steps]]
  request = "POST /api/jobs"
  json = { script = "x.py" }
  status = 201
  capture = { job_id = "$.id", num = "$.number", state = "$.status" }
  expect_headers = { Location = "" }
  [[e2e.flows.steps]]
  request = "GET /api/jobs/{job_id}"
  expect_json = { id = "{job_id}", keys = ["{num:str}"] }
  contains = "\\"id\\": \\"{job_id}\\""
  expect_headers = { X-Job-Id = "{job_id}" }
  [e2e.flows.steps.poll]
  until = ["completed"]
  expect_seen = ["{state}", "running"]
  interval_s = 0.05
  deadline_s = 5
  [[e2e.flows.steps]]
  request = "GET /api/jobs"
  expect_json = { jobs = { "$any" = { id = "{job_id}", status = "completed" } } }
"""


def test_captures_reach_every_expectation(tmp_path: Path) -> None:
    run = _run(tmp_path, EXPECTATIONS)
    case = run.case("expectations")
    assert case.outcome == "passed", case.message + run.output


def test_a_type_only_difference_says_how_to_write_it(tmp_path: Path) -> None:
    message = (
        _run(tmp_path, EXPECTATIONS.replace("{num:str}", "{num}")).case("expectations").message
    )
    assert (
        '$.keys[0] is "1", expected 1 (same value, different type: found a string, '
        "expected a number" in message
    )
    assert '"{name:str}"' in message


def test_any_item_form_names_what_was_not_found(tmp_path: Path) -> None:
    body = EXPECTATIONS.replace('status = "completed" } }', 'status = "archived" } }')
    message = _run(tmp_path, body).case("expectations").message
    assert "$.jobs has no item matching" in message
    assert "archived" in message


# --- load-time errors for every key -----------------------------------------------------------


def _flow(*steps: dict[str, object]) -> dict[str, object]:
    return {"e2e": {"flows": [{"name": "orders", "steps": list(steps)}]}}


@pytest.mark.parametrize(
    ("step", "key"),
    [
        ({"request": "GET /x", "expect_json": {"a": "{nope}"}}, "expect_json"),
        ({"request": "GET /x", "contains": "{nope}"}, "contains"),
        ({"request": "GET /x", "expect_headers": {"X": "{nope}"}}, "expect_headers"),
        ({"request": "GET /x", "headers": {"X": "{nope:str}"}}, "headers"),
        ({"websocket": "/ws", "headers": {"Authorization": "Bearer {nope}"}}, "headers"),
        (
            {"websocket": "/ws", "expect": [{"type": "t", "field": "$.u", "equals": "{nope}"}]},
            "expect[0].equals",
        ),
        (
            {"websocket": "/ws", "expect": [{"type": "t", "field": "$.u", "contains": "{nope}"}]},
            "expect[0].contains",
        ),
        ({"request": "GET /x", "poll": {"until": ["{nope}"]}}, "poll.until"),
        (
            {"request": "GET /x", "poll": {"until": ["done"], "expect_seen": ["{nope}"]}},
            "poll.expect_seen",
        ),
    ],
)
def test_unknown_capture_in_any_key_names_flow_step_and_key(
    step: dict[str, object], key: str
) -> None:
    data = _flow({"name": "first", "request": "GET /a", "capture": {"known": "$.id"}}, step)
    with pytest.raises(ConfigError) as info:
        validate_config(data, source="gate.toml", env={})
    assert "flow 'orders', step 2 " in str(info.value)
    assert f"uses capture 'nope' in key '{key}'" in str(info.value)
    assert "captured before this step: 'known'" in str(info.value)


def test_event_capture_on_an_http_step_and_unknown_secret_are_refused() -> None:
    with pytest.raises(ConfigError, match="is a table \\(an event capture\\)"):
        validate_config(
            _flow({"request": "GET /a", "capture": {"x": {"type": "t", "path": "$.a"}}}), env={}
        )
    with pytest.raises(ConfigError, match="'secret' lists 'y', which this step does not capture"):
        validate_config(
            _flow({"request": "GET /a", "capture": {"x": "$.a"}, "secret": ["y"]}), env={}
        )


def test_login_without_token_path_and_max_parallel_below_1_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('[auth.identities.carol]\nlogin = { path = "/auth/token" }\n[smoke]\n')
    args = [
        "run",
        "--config",
        str(config),
        "--target",
        "http://127.0.0.1:9",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "auth.identities.carol.login" in err
    assert "a login needs 'token'" in err
    config.write_text("[e2e]\nmax_parallel = 0\n")
    assert main(args) == 2
    assert "e2e.max_parallel" in capsys.readouterr().err


def test_unknown_identity_of_a_smoke_check_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('[[smoke.http]]\npath = "/api/me"\nidentity = "dave"\n')
    with pytest.raises(ConfigError, match=r"smoke\.http\[0\]\.identity' uses identity 'dave'"):
        pytest_targets("smoke", load_config(config, env={}))


# --- identities that log in ---------------------------------------------------------------------

LOGIN_SMOKE = """
[smoke]
[[smoke.http]]
name = "carol's profile"
path = "/api/me"
identity = "carol"
expect_json = { user = "carol" }
[[smoke.http]]
name = "carol's credentials are not echoed"
path = "/api/echo-auth"
identity = "carol"
contains = "nothing like this"
[[smoke.websocket]]
name = "carol's socket"
path = "/ws/agent"
identity = "carol"
auth = "query"
send = { type = "run", prompt = "hi" }
expect_type = "agent_started"
expect_contains = "uid-carol"
"""

USER_TEST = """
def test_carol_as_a_user_test(http_as, ws_connect):
    assert http_as("carol").get("/api/me").json() == {"user": "carol"}
    with ws_connect("/ws/agent", identity="carol") as socket:
        socket.send_json({"type": "run", "prompt": "x"})
        assert socket.collect(5, until_type="agent_completed")[-1]["user"] == "carol"
"""

LOGIN_FLOWS = """
[e2e]
pytest = ["test_user.py"]
[[e2e.flows]]
name = "carol and bob do not cross"
  [[e2e.flows.steps]]
  websocket = "/ws/agent"
  identities = ["carol", "bob"]
  send = { type = "run", prompt = "iso" }
  isolate = "$.user_id"
  deadline_s = 5
  expect = [{ type = "agent_completed", count = 1, last = true }]
[[e2e.flows]]
name = "carol creates a job"
  [[e2e.flows.steps]]
  identity = "carol"
  request = "POST /api/jobs"
  json = { script = "c.py" }
  status = 201
"""


def test_login_identity_in_smoke_checks_logs_in_once_and_is_redacted(tmp_path: Path) -> None:
    app = make_app()
    config = tmp_path / "gate.toml"
    config.write_text(AUTH + LOGIN_SMOKE)
    env = {"CAROL_PW": "pw-carol"}
    with serve(app) as url:
        run = run_pytest(
            pytest_targets("smoke", load_config(config, env=env)),
            tmp_path,
            target=url,
            config=config,
            env=env,
        )
    state = app[STATE]
    assert state.logins == ["carol"], run.output  # once for the whole run
    assert run.case("carol's profile").outcome == "passed", run.output
    assert run.case("carol's socket").outcome == "passed", run.case("carol's socket").message
    echoed = run.case("carol's credentials are not echoed")
    assert echoed.outcome == "failure"
    assert "Bearer ***" in echoed.message
    tokens = [t for t, user in state.tokens.items() if user == "carol"]
    assert tokens
    assert tokens[0] not in run.xml
    assert tokens[0] not in run.output


def test_login_identity_in_flows_isolation_and_user_tests(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    run = _run(tmp_path, LOGIN_FLOWS)
    for name in ("carol and bob do not cross", "carol creates a job", "test_carol_as_a_user_test"):
        assert run.case(name).outcome == "passed", run.case(name).message + run.output
    leaked = _run(tmp_path, LOGIN_FLOWS, Faults(cross=True)).case("carol and bob do not cross")
    assert "events crossed users" in leaked.message


def test_failed_login_blocks_every_check_of_that_identity_with_status_and_body(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    app = make_app()
    config = tmp_path / "gate.toml"
    config.write_text(AUTH + LOGIN_FLOWS)
    env = {"CAROL_PW": "wrong-password"}
    with serve(app) as url:
        run = run_pytest(
            pytest_targets("e2e", load_config(config, env=env)),
            tmp_path,
            target=url,
            config=config,
            env=env,
        )
    expected = (
        "login of identity 'carol' (POST /auth/token) answered status 401, expected 2xx "
        "(body: '{\"error\": \"invalid credentials\"}'); no check ran as 'carol'"
    )
    for name in ("carol and bob do not cross", "carol creates a job", "test_carol_as_a_user_test"):
        case = run.case(name)
        assert case.outcome == "failure", case.message
        assert expected in case.message
    assert not app[STATE].jobs  # nothing was created as carol
    assert "wrong-password" not in run.xml


def test_secret_captures_are_redacted_in_failures(tmp_path: Path) -> None:
    body = """
[e2e]
[[e2e.flows]]
name = "echo"
  [[e2e.flows.steps]]
  request = "POST /auth/token"
  json = { username = "bob", password = "pw-bob" }
  capture = { tok = "$.access_token", who = "$.user_id", kind = "$.token_type" }
  secret = ["who"]
  [[e2e.flows.steps]]
  request = "GET /api/echo-auth"
  headers = { Authorization = "Session {tok}" }
  contains = "{who} nothing like this"
"""
    app = make_app()
    config = tmp_path / "gate.toml"
    config.write_text(AUTH + body)
    with serve(app) as url:
        run = run_pytest(
            pytest_targets("e2e", load_config(config, env={"CAROL_PW": "x"})),
            tmp_path,
            target=url,
            config=config,
        )
    message = run.case("echo").message
    token = next(
        t for t, user in app[STATE].tokens.items() if user == "bob" and t.startswith("sess-")
    )
    assert "body does not contain" in message
    assert token not in run.xml
    assert token not in run.output
    assert "uid-bob" not in run.xml  # listed in `secret`


# --- flows side by side -----------------------------------------------------------------------

STUCK = """
[e2e]
max_parallel = {limit}
""" + "".join(
    f"""
[[e2e.flows]]
name = "stuck {n}"
  [[e2e.flows.steps]]
  request = "POST /api/jobs"
  json = {{ script = "s.py" }}
  capture = {{ job_id = "$.id" }}
  [[e2e.flows.steps]]
  request = "GET /api/jobs/{{job_id}}"
  poll = {{ until = ["completed"], interval_s = 0.1, deadline_s = {deadline} }}
"""
    for n, deadline in ((1, 3), (2, 2), (3, 2))
)


def _stuck(tmp_path: Path, limit: int) -> tuple[Run, list[dict[str, Any]]]:
    """Run the three stuck flows; returns the run and the server's jobs in creation order
    (`created`, `last_polled`: the server's clock, so order is judged by what it saw)."""
    app = make_app(Faults(stuck=True))
    config = tmp_path / "gate.toml"
    config.write_text(AUTH + STUCK.replace("{limit}", str(limit)))
    with serve(app) as url:
        run = run_pytest(
            pytest_targets("e2e", load_config(config, env={"CAROL_PW": "x"})),
            tmp_path,
            target=url,
            config=config,
        )
    return run, sorted(app[STATE].jobs.values(), key=lambda job: job["created"])


def test_flows_run_side_by_side_with_junit_in_config_order(tmp_path: Path) -> None:
    run, jobs = _stuck(tmp_path, 4)
    assert [c.name for c in run.cases] == ["stuck 1", "stuck 2", "stuck 3"]
    assert "still running after 3 s" in run.case("stuck 1").message
    assert "still running after 2 s" in run.case("stuck 3").message
    # the flows waited at the same time: every job was created before any flow polled its
    # job for the last time (one after another, a job is created after the last poll of the
    # job before it)
    assert len(jobs) == 3
    assert max(job["created"] for job in jobs) < min(job["last_polled"] for job in jobs)
    assert run.output.count("stuck 1") >= 1
    assert "F" * 3 in run.output.replace(" ", "")


def test_max_parallel_1_runs_flows_one_after_another(tmp_path: Path) -> None:
    _, jobs = _stuck(tmp_path, 1)
    assert len(jobs) == 3
    for before, after in itertools.pairwise(jobs):
        assert after["created"] > before["last_polled"]


# --- rate limit -------------------------------------------------------------------------------

RATE = """
[smoke]
[[smoke.rate_limit]]
path = "/api/limited"
requests = 30
within_s = 5
retry_after = true
"""


def test_rate_limit_check_passes_when_limited_and_names_what_it_saw_otherwise(
    tmp_path: Path,
) -> None:
    name = "GET /api/limited: 30 requests within 5 s meet a 429 with Retry-After"
    assert _run(tmp_path, RATE).case(name).outcome == "passed"
    message = _run(tmp_path, RATE, Faults(no_rate_limit=True)).case(name).message
    assert "sent 30 requests in" in message
    assert "none answered 429 (200 x30)" in message
    message = _run(tmp_path, RATE, Faults(no_retry_after=True)).case(name).message
    assert "answered 429, but without a Retry-After header" in message
