"""Flows side by side: every selected flow starts at once (at most `[e2e] max_parallel`), and
each flow's test waits for its own outcome.

pytest still runs and reports the tests one after another, in configuration order, so the JUnit
file and the terminal read as before (one line per flow, never interleaved); only the waiting
overlaps. A deployment whose jobs never finish then costs about the longest flow deadline
instead of the sum of all of them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from gate.checks.flows import run_flow
from gate.checks.session import CheckSession
from gate.checks.ws import WebSocket
from gate.config.flows import Flow


@dataclass
class FlowOutcome:
    """How one flow ended: `error` is its failure (None: passed), `retries` the network
    retries its requests needed (a pass with retries is flaky)."""

    error: BaseException | None = None
    retries: list[str] = field(default_factory=list)
    duration_s: float = 0.0


class FlowPool:
    """Runs `flows` on at most `max_parallel` threads from construction on."""

    def __init__(self, session: CheckSession, flows: Sequence[Flow], max_parallel: int) -> None:
        self._session = session
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, min(max_parallel, len(flows) or 1)), thread_name_prefix="flow"
        )
        self._futures: dict[str, Future[FlowOutcome]] = {
            flow.name: self._executor.submit(self._run, flow) for flow in flows
        }

    def outcome(self, flow: Flow) -> FlowOutcome:
        """The flow's outcome, waiting for it; a flow not started yet (not selected when the
        pool was made) runs now, in the caller's thread."""
        future = self._futures.get(flow.name)
        return future.result() if future is not None else self._run(flow)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, flow: Flow) -> FlowOutcome:
        outcome = FlowOutcome()
        clients: dict[str | None, httpx.Client] = {}

        def client_for(identity: str | None) -> httpx.Client:
            if identity not in clients:
                clients[identity] = self._session.client(identity, on_retry=outcome.retries.append)
            return clients[identity]

        def socket_for(
            path: str, identity: str | None, auth: str, query_param: str, headers: dict[str, str]
        ) -> WebSocket:
            assert auth in ("header", "query", "none")
            return self._session.socket(
                path,
                identity,
                auth,  # type: ignore[arg-type]
                query_param,
                headers=headers,
            )

        started = time.monotonic()
        try:
            run_flow(flow, client_for, socket_for, self._session.secrets.add)
        except BaseException as exc:  # handed to the flow's test, which re-raises it
            outcome.error = exc
        finally:
            for client in clients.values():
                client.close()
            outcome.duration_s = time.monotonic() - started
        return outcome
