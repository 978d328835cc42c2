"""Declarative flows against a real job/agent server on loopback (tests/servers/jobs.py), run
the way the runner runs them, plus the configuration errors caught before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers.app import serve
from servers.jobs import Faults, make_app
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
"""

LIFECYCLE = """
[[e2e.flows]]
name = "lifecycle"
priority = "p1"
  [[e2e.flows.steps]]
  name = "create"
  request = "POST /api/jobs"
  json = { script = "x.py" }
  status = 201
  capture = { job_id = "$.id" }
  [[e2e.flows.steps]]
  name = "wait"
  request = "GET /api/jobs/{job_id}"
  expect_json = { exit_code = 0, id = "{job_id}" }
  [e2e.flows.steps.poll]
  until = ["completed"]
  fail_on = ["failed"]
  expect_seen = ["queued", "running", "completed"]
  interval_s = 0.05
  deadline_s = 2
"""

# One flow at a time: the server numbers jobs across flows and `fail_every` fails by number, so
# two batches created side by side would split the failures between them by chance.
BATCH = """
[e2e]
max_parallel = 1

[[e2e.flows]]
name = "batch"
  [[e2e.flows.steps]]
  request = "POST /api/jobs"
  json = { script = "b.py" }
  [e2e.flows.steps.batch]
  count = 10
  poll = "GET /api/jobs/{id}"
  success = ["completed"]
  failure = ["failed"]
  min_ratio = 0.8
  interval_s = 0.1
  deadline_s = 3

[[e2e.flows]]
name = "batch over a capture"
  [[e2e.flows.steps]]
  request = "POST /api/batches"
  json = { count = 5 }
  capture = { ids = "$.job_ids" }
  [[e2e.flows.steps]]
  [e2e.flows.steps.batch]
  over = "ids"
  poll = "GET /api/jobs/{id}"
  success = ["completed"]
  interval_s = 0.1
  deadline_s = 3
"""

AGENT = """
[[e2e.flows]]
name = "agent"
  [[e2e.flows.steps]]
  websocket = "/ws/agent"
  send = { type = "run", prompt = "hi" }
  deadline_s = 3
  expect = [
    { type = "agent_started", count = 1, first = true },
    { type = "agent_thinking", min_count = 2, field = "$.data.text", min_length = 50 },
    { type = "tool_completed", min_count = 1 },
    { type = "agent_completed", count = 1, last = true },
  ]
  order = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"]

[[e2e.flows]]
name = "isolation"
  [[e2e.flows.steps]]
  websocket = "/ws/agent"
  identities = ["alice", "bob"]
  send = { type = "run", prompt = "mine" }
  isolate = "$.user"
  deadline_s = 3
  expect = [{ type = "agent_completed", min_count = 1 }]
"""

NOT_JSON = """
[[e2e.flows]]
name = "not json"
  [[e2e.flows.steps]]
  request = "GET /maintenance"
  capture = { version = "$.version" }
"""


def _run(tmp: Path, body: str, faults: Faults | None = None) -> Run:
    config = tmp / "gate.toml"
    config.write_text(AUTH + body)
    targets = pytest_targets("e2e", load_config(config, env={}))
    with serve(make_app(faults)) as url:
        return run_pytest(targets, tmp, target=url, config=config)


def test_lifecycle_passes_with_states_seen(tmp_path: Path) -> None:
    run = _run(tmp_path, LIFECYCLE)
    case = run.case("lifecycle")
    assert (case.classname, case.outcome) == ("e2e.flow", "passed"), run.output
    assert case.properties == {"priority": "p1"}


def test_stuck_job_reports_states_seen_and_deadline(tmp_path: Path) -> None:
    message = _run(tmp_path, LIFECYCLE, Faults(stuck=True)).case("lifecycle").message
    assert (
        "flow 'lifecycle' step 2 (wait): saw queued -> running, still running after 2 s, "
        "expected completed" in message
    )
    assert "[passed before: create: 201]" in message


def test_failed_state_stops_the_poll(tmp_path: Path) -> None:
    message = _run(tmp_path, LIFECYCLE, Faults(fail_every=1)).case("lifecycle").message
    assert "saw queued -> running -> failed, reached failed, expected completed" in message


def test_batch_ratio_passes_at_90_percent_and_fails_at_50(tmp_path: Path) -> None:
    good = _run(tmp_path, BATCH, Faults(fail_every=10))
    assert good.case("batch").outcome == "passed", good.case("batch").message
    assert good.case("batch over a capture").outcome == "passed"
    bad = _run(tmp_path, BATCH, Faults(fail_every=2)).case("batch").message
    assert "5/10 completed (50%, required 80%): 5 failed" in bad


def test_agent_events_counts_order_content(tmp_path: Path) -> None:
    run = _run(tmp_path, AGENT)
    assert run.case("agent").outcome == "passed", run.case("agent").message
    assert run.case("isolation").outcome == "passed", run.case("isolation").message


def test_missing_event_and_short_text_are_named(tmp_path: Path) -> None:
    message = _run(tmp_path, AGENT, Faults(missing="tool_completed")).case("agent").message
    assert "expected at least 1 'tool_completed', got 0" in message
    assert "order: missing 'tool_completed'" in message
    short = _run(tmp_path, AGENT, Faults(short_thoughts=True)).case("agent").message
    assert "'agent_thinking' #1: $.data.text has 9 characters, expected at least 50" in short


def test_1011_close_is_reported_with_code_reason_and_events_so_far(tmp_path: Path) -> None:
    message = _run(tmp_path, AGENT, Faults(close_1011=True)).case("agent").message
    assert "WS /ws/agent closed 1011 (internal error) after 1 message(s)" in message
    assert "events so far: agent_started" in message


def test_silent_socket_hits_the_deadline(tmp_path: Path) -> None:
    message = _run(tmp_path, AGENT, Faults(silent=True)).case("agent").message
    assert "no message within" in message or "no 'agent_completed' within 3 s" in message


def test_crossed_events_fail_isolation(tmp_path: Path) -> None:
    message = _run(tmp_path, AGENT, Faults(cross=True)).case("isolation").message
    assert (
        "isolation: events crossed users: 'alice' received events of 2 owners (alice, bob at "
        "$.user)" in message
    )


def test_non_json_answer_names_content_type_and_excerpt(tmp_path: Path) -> None:
    message = _run(tmp_path, NOT_JSON).case("not json").message
    assert "expected a JSON body, got text/html" in message
    assert "<html>maintenance</html>" in message


# --- configuration errors: exit 2 before anything runs -------------------------------------


def _flow(*steps: dict[str, object]) -> dict[str, object]:
    return {"e2e": {"flows": [{"name": "orders", "steps": list(steps)}]}}


def test_unknown_capture_names_flow_step_and_capture() -> None:
    data = _flow(
        {"request": "POST /api/jobs", "capture": {"job_id": "$.id"}},
        {"name": "poll", "request": "GET /api/jobs/{jobid}"},
    )
    with pytest.raises(ConfigError) as info:
        validate_config(data, source="gate.toml", env={})
    message = str(info.value)
    assert "e2e.flows[0]" in message
    assert "flow 'orders', step 2 ('poll') uses capture 'jobid'" in message
    assert "captured before this step: 'job_id'" in message


def test_capture_used_in_a_body_or_batch_is_checked_too() -> None:
    with pytest.raises(ConfigError, match="uses capture 'token'"):
        validate_config(_flow({"request": "POST /x", "json": {"t": "{token}"}}), env={})
    with pytest.raises(ConfigError, match=r"uses capture 'ids' in key 'batch\.over'"):
        validate_config(
            _flow({"batch": {"over": "ids", "poll": "GET /j/{id}", "success": ["ok"]}}), env={}
        )


def test_escaped_braces_are_not_captures() -> None:
    config = validate_config(_flow({"request": "POST /x", "json": {"s": "{{literal}}"}}), env={})
    assert config.e2e is not None


def test_step_kinds_are_exclusive() -> None:
    with pytest.raises(ConfigError, match="either 'websocket' or 'request'"):
        validate_config(_flow({"request": "GET /", "websocket": "/ws"}), env={})


def test_unknown_identity_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text(
        '[[e2e.flows]]\nname = "iso"\n[[e2e.flows.steps]]\nwebsocket = "/ws"\n'
        'identities = ["alice", "carol"]\nisolate = "$.user"\n'
    )
    with pytest.raises(ConfigError, match="uses identity 'alice', which is not in"):
        pytest_targets("e2e", load_config(config, env={}))


def test_missing_user_test_path_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('[e2e]\npytest = ["tests/e2e"]\n')
    with pytest.raises(ConfigError, match=r"e2e\.pytest\[0\].*'tests/e2e' does not exist"):
        pytest_targets("e2e", load_config(config, env={}))


def test_gate_run_exits_2_on_a_bad_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gate.toml"
    config.write_text(
        '[[e2e.flows]]\nname = "orders"\n[[e2e.flows.steps]]\nrequest = "GET /o/{order}"\n'
    )
    code = main(
        [
            "run",
            "--config",
            str(config),
            "--target",
            "http://127.0.0.1:9",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    assert "uses capture 'order'" in capsys.readouterr().err
