"""Agent WebSocket tests: skipped (and so counted against the skip budget) when the
deployment reports agents disabled."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gate.checks.ws import WebSocket

Connect = Callable[..., WebSocket]
EVENTS = [
    "agent_started",
    "agent_thinking",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
]

pytestmark = pytest.mark.usefixtures("agents_enabled")


@pytest.mark.p1
def test_all_five_events_in_order(ws_connect: Connect) -> None:
    with ws_connect("/ws/agent") as ws:
        ws.send_json({"type": "run", "prompt": "release notes"})
        events = ws.collect(15, until_type="agent_completed")
    assert [e["type"] for e in events] == EVENTS
    assert all(len(e["data"]["text"]) >= 50 for e in events if e["type"] == "agent_thinking")
    assert len({e["run_id"] for e in events}) == 1


@pytest.mark.p2
def test_ping_pong_with_query_token(ws_connect: Connect) -> None:
    with ws_connect("/ws/agent", auth="query") as ws:
        ws.send_json({"type": "ping"})
        assert ws.recv_json(5)["type"] == "pong"


@pytest.mark.p2
def test_every_socket_of_a_user_gets_the_run(ws_connect: Connect) -> None:
    with ws_connect("/ws/agent") as first, ws_connect("/ws/agent") as second:
        first.send_json({"type": "run", "prompt": "fan out"})
        one = first.collect(15, until_type="agent_completed")
        two = second.collect(15, until_type="agent_completed")
    assert [e["run_id"] for e in one] == [e["run_id"] for e in two]


@pytest.mark.p3
def test_bobs_socket_sees_only_bob(ws_connect: Connect) -> None:
    with (
        ws_connect("/ws/agent", identity="alice") as alice,
        ws_connect("/ws/agent", identity="bob") as bob,
    ):
        alice.send_json({"type": "run", "prompt": "alice only"})
        bob.send_json({"type": "run", "prompt": "bob only"})
        bob_events = bob.collect(15, until_type="agent_completed")
        alice.collect(15, until_type="agent_completed")
    assert {e["user"] for e in bob_events} == {"bob"}
