"""Built-in E2E checks: one test per `[[e2e.flows]]` entry (JUnit `e2e.flow` / flow name).

The flows run side by side in a `FlowPool` (`[e2e] max_parallel` at once); each test reports its
own flow's outcome, in configuration order. The user's own pytest files run next to this module
in the same pytest session, with the same fixtures (`gate.plugin`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gate.checks.flow_pool import FlowPool
from gate.checks.params import flow_params
from gate.checks.session import CheckSession
from gate.config import GateConfig
from gate.config.flows import Flow
from gate.plugin import record_retry

GATE_SUITE = "e2e"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    flow_params(metafunc)


@pytest.fixture(scope="session")
def flow_pool(
    request: pytest.FixtureRequest, gate_session: CheckSession, gate_config: GateConfig
) -> Iterator[FlowPool]:
    """Starts every selected flow at once (bounded), the first time a flow test runs."""
    selected: list[Flow] = []
    for item in request.session.items:
        param = item.callspec.params.get("flow") if hasattr(item, "callspec") else None
        if isinstance(param, Flow):
            selected.append(param)
    limit = gate_config.e2e.max_parallel if gate_config.e2e else 1
    pool = FlowPool(gate_session, selected, limit)
    yield pool
    pool.close()


def test_flow(flow: Flow, flow_pool: FlowPool, request: pytest.FixtureRequest) -> None:
    outcome = flow_pool.outcome(flow)
    for message in outcome.retries:
        record_retry(request.node, message)
    if outcome.error is not None:
        raise outcome.error
