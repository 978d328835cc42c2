"""Built-in E2E checks: one test per `[[e2e.flows]]` entry (JUnit `e2e.flow` / flow name).

The flows run side by side in the plugin's `gate_flows` pool (`[e2e] max_parallel` at once),
started before the session's first test; each test here reports its own flow's outcome, after
the user's own pytest files (which run next to this module with the same fixtures), in
configuration order.
"""

from __future__ import annotations

import pytest

from gate.checks.flow_pool import FlowPool
from gate.checks.params import flow_params
from gate.config.flows import Flow
from gate.plugin import record_retry

GATE_SUITE = "e2e"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    flow_params(metafunc)


def test_flow(flow: Flow, gate_flows: FlowPool | None, request: pytest.FixtureRequest) -> None:
    assert gate_flows is not None  # this test is a collected flow, so the pool exists
    outcome = gate_flows.outcome(flow)
    for message in outcome.retries:
        record_retry(request.node, message)
    if outcome.error is not None:
        raise outcome.error
