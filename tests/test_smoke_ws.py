"""WebSocket smoke checks against real servers on loopback: a healthy agent socket, one that
closes with 1011, one that never answers, one that refuses the handshake, one that never
completes it."""

from __future__ import annotations

from pathlib import Path

from servers.app import serve
from servers.flaky import silent_server
from servers.jobs import Faults, make_app
from servers.junit import Run, run_pytest

from gate.checks import pytest_targets
from gate.config import load_config

CONFIG = """
[auth]
bearer = "tok-alice-0001"

[[smoke.websocket]]
path = "/ws/echo"

[[smoke.websocket]]
name = "echo round trip"
path = "/ws/echo"
send = { type = "hello", text = "round trip" }
expect_contains = "round trip"
timeout_s = 2
priority = "p1"

[[smoke.websocket]]
name = "agent completes"
path = "/ws/agent"
auth = "query"
send = { type = "run", prompt = "hi" }
expect_type = "agent_completed"
timeout_s = 2

[[smoke.websocket]]
path = "/ws/closing"

[[smoke.websocket]]
name = "anonymous agent socket"
path = "/ws/agent"
auth = "none"
"""


def _run(tmp: Path, url: str, config_text: str = CONFIG) -> Run:
    config = tmp / "gate.toml"
    config.write_text(config_text)
    return run_pytest(
        pytest_targets("smoke", load_config(config, env={})), tmp, target=url, config=config
    )


def test_handshake_round_trip_and_refusal(tmp_path: Path) -> None:
    with serve(make_app()) as url:
        run = _run(tmp_path, url)
    assert run.case("WS /ws/echo handshake").outcome == "passed", run.output
    assert run.case("echo round trip").outcome == "passed"
    assert run.case("echo round trip").properties == {"priority": "p1"}
    assert run.case("agent completes").outcome == "passed"
    closing = run.case("WS /ws/closing handshake").message
    assert "WS /ws/closing closed 1011 (boot failure) after the handshake" in closing
    refused = run.case("anonymous agent socket")
    assert refused.classname == "smoke.websocket"
    assert "WS /ws/agent: handshake refused with HTTP 401" in refused.message


def test_1011_close_says_code_and_reason(tmp_path: Path) -> None:
    with serve(make_app(Faults(close_1011=True))) as url:
        run = _run(tmp_path, url)
    message = run.case("agent completes").message
    assert "WS /ws/agent closed 1011 (internal error) after 1 message(s)" in message


def test_socket_that_never_answers_hits_the_deadline(tmp_path: Path) -> None:
    with serve(make_app(Faults(silent=True))) as url:
        run = _run(tmp_path, url)
    assert (
        "WS /ws/agent: no 'agent_completed' within 2 s; saw no messages"
        in run.case("agent completes").message
    )


def test_server_that_never_completes_the_handshake(tmp_path: Path) -> None:
    config = '[[smoke.websocket]]\nname = "hung"\npath = "/ws"\ntimeout_s = 1\n'
    with silent_server() as url:
        run = _run(tmp_path, url, config)
    assert "WS /ws: handshake not completed within 1 s" in run.case("hung").message
