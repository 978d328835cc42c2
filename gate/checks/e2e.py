"""Built-in E2E checks: one test per `[[e2e.flows]]` entry (JUnit `e2e.flow` / flow name).

The user's own pytest files run next to this module in the same pytest session, with the same
fixtures (`gate.plugin`).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from gate.checks.flows import run_flow
from gate.checks.params import flow_params
from gate.checks.ws import WebSocket
from gate.config.flows import Flow

GATE_SUITE = "e2e"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    flow_params(metafunc)


def test_flow(
    flow: Flow,
    http_as: Callable[..., httpx.Client],
    ws_connect: Callable[..., WebSocket],
) -> None:
    clients: dict[str | None, httpx.Client] = {}

    def client_for(identity: str | None) -> httpx.Client:
        if identity not in clients:
            clients[identity] = http_as(identity)
        return clients[identity]

    def socket_for(path: str, identity: str | None, auth: str, query_param: str) -> WebSocket:
        return ws_connect(path, identity=identity, auth=auth, query_param=query_param)

    run_flow(flow, client_for, socket_for)
