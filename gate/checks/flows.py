"""Running a declarative flow (`[[e2e.flows]]`): steps in order, captures, polls, batches.

A flow is one JUnit testcase. It stops at the first failing step, and the failure message names
the flow, the step and what was seen, e.g. `step 2 (wait for completion): saw queued -> running,
still running after 30 s, expected completed`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from gate.checks.flow_ws import run_websocket_step
from gate.checks.match import Missing, excerpt, extract, response_json
from gate.checks.probes import endpoint_problems, header_problems, send
from gate.checks.ws import WebSocket
from gate.config.flows import (
    BATCH_ITEM,
    PLACEHOLDER,
    Batch,
    EventCapture,
    Flow,
    Poll,
    Step,
    parse_request,
)

ClientFor = Callable[[str | None], httpx.Client]
SocketFor = Callable[[str, str | None, str, str, dict[str, str]], WebSocket]
OnSecret = Callable[[Any], None]


@dataclass
class FlowRun:
    """The state of one flow run: captured values and what each finished step did."""

    flow: Flow
    client_for: ClientFor
    socket_for: SocketFor
    on_secret: OnSecret = lambda value: None
    values: dict[str, Any] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)

    def run(self) -> None:
        for index, step in enumerate(self.flow.steps):
            where = f"flow '{self.flow.name}' step {index + 1} ({step.label(index)})"
            try:
                summary = self._step(step)
            except AssertionError as exc:
                before = f" [passed before: {'; '.join(self.done)}]" if self.done else ""
                raise AssertionError(f"{where}: {exc}{before}") from None
            self.done.append(f"{step.label(index)}: {summary}")

    def _step(self, step: Step) -> str:
        if step.kind == "websocket":
            summary, events = run_websocket_step(step, self.render, self.socket_for)
            self._capture_events(step, events)
            return summary
        if step.kind == "batch":
            assert step.batch is not None
            return self._batch(step, step.batch)
        if step.poll is None:
            response = self._request(step)
            summary = f"{response.status_code}"
        else:
            response, summary = self._poll(step, step.poll, self._request(step, content=False))
            self._check_content(step, response)
        self._capture(step, response)
        return summary

    # -- HTTP ----------------------------------------------------------------------------------

    def _request(self, step: Step, *, content: bool = True) -> httpx.Response:
        """Send the step's request; check its status and latency, and its content unless a
        poll still waits for the final answer."""
        method, path = parse_request(self.render(step.request or ""))
        response = send(
            self.client_for(step.identity),
            method,
            path,
            json=self.render(step.json_body),
            headers=self.render(step.headers) or None,
        )
        status = [step.status] if isinstance(step.status, int) else step.status
        problems = endpoint_problems(
            response, status=status, max_ms=step.max_ms, what=f"{method} {path}"
        )
        if problems:
            raise AssertionError(f"{method} {path}: " + "; ".join(problems))
        if content:
            self._check_content(step, response)
        return response

    def _check_content(self, step: Step, response: httpx.Response) -> None:
        what = f"{response.request.method} {response.request.url.path}"
        problems = endpoint_problems(
            response,
            status=None,
            expect_json=self.render(step.expect_json),
            contains=self.render(step.contains),
            what=what,
        )
        problems += header_problems(response, self.render(step.expect_headers))
        if problems:
            raise AssertionError(f"{what}: " + "; ".join(problems))

    def _capture(self, step: Step, response: httpx.Response) -> None:
        if not step.capture:
            return
        document = response_json(response, f"{response.request.method} {response.request.url}")
        for name, path in step.capture.items():
            assert isinstance(path, str)  # the model refuses event captures on HTTP steps
            try:
                self._keep(step, name, extract(document, path))
            except Missing as exc:
                raise AssertionError(
                    f"capture '{name}': {exc} in the response {excerpt(response.text, 160)!r}"
                ) from None

    def _capture_events(self, step: Step, events: list[Any]) -> None:
        """Captures of a WebSocket step: a value of the first (or last) event of a type."""
        for name, how in step.capture.items():
            rule = how if isinstance(how, EventCapture) else EventCapture(path=how)
            candidates = [e for e in events if rule.type is None or _event_type(e) == rule.type]
            if rule.last:
                candidates.reverse()
            for event in candidates:
                try:
                    self._keep(step, name, extract(event, rule.path))
                    break
                except Missing:
                    continue
            else:
                which = f"'{rule.type}' event" if rule.type else "event"
                trail = " -> ".join(str(_event_type(e)) for e in events) or "no events"
                raise AssertionError(
                    f"capture '{name}': no {which} has {rule.path} (events: {trail})"
                )

    def _keep(self, step: Step, name: str, value: Any) -> None:
        if name in step.secret_captures():
            self.on_secret(value)
        self.values[name] = value

    def _poll(self, step: Step, poll: Poll, response: httpx.Response) -> tuple[httpx.Response, str]:
        """Repeat the request until `poll.field` is one of `poll.until`; record the states seen."""
        poll = poll.model_copy(
            update={
                key: [_text(self.render(state)) for state in getattr(poll, key)]
                for key in ("until", "fail_on", "expect_seen")
            }
        )
        seen: list[str] = []
        deadline = time.monotonic() + poll.deadline_s
        while True:
            state = _state(response, poll.field)
            if not seen or seen[-1] != state:
                seen.append(state)
            trail = " -> ".join(seen)
            expected = " or ".join(poll.until)
            if state in poll.until:
                missed = _missed(poll.expect_seen, seen)
                if missed:
                    raise AssertionError(
                        f"saw {trail}, expected to see {' -> '.join(poll.expect_seen)} "
                        f"(never saw {', '.join(missed)}; poll every {poll.interval_s:g} s)"
                    )
                return response, f"saw {trail}"
            if state in poll.fail_on:
                raise AssertionError(f"saw {trail}, reached {state}, expected {expected}")
            if time.monotonic() + poll.interval_s > deadline:
                raise AssertionError(
                    f"saw {trail}, still {state} after {poll.deadline_s:g} s, expected {expected}"
                )
            time.sleep(poll.interval_s)
            response = self._request(step, content=False)

    def _batch(self, step: Step, batch: Batch) -> str:
        batch = batch.model_copy(
            update={
                key: [_text(self.render(state)) for state in getattr(batch, key)]
                for key in ("success", "failure")
            }
        )
        ids = self._batch_ids(step, batch)
        states: dict[str, str] = {item: "not created" for item in ids if item.startswith("#")}
        pending = [item for item in ids if not item.startswith("#")]
        deadline = time.monotonic() + batch.deadline_s
        client = self.client_for(step.identity)
        while pending:
            for item in list(pending):
                url = self.render(batch.poll.replace("{" + BATCH_ITEM + "}", item))
                method, path = parse_request(url)
                response = send(client, method, path)
                states[item] = _state(response, batch.field)
                if states[item] in batch.success or states[item] in batch.failure:
                    pending.remove(item)
            if not pending or time.monotonic() + batch.interval_s > deadline:
                break
            time.sleep(batch.interval_s)
        return _batch_verdict(batch, ids, states)

    def _batch_ids(self, step: Step, batch: Batch) -> list[str]:
        """The items to poll: a captured list, or the ids of `count` created jobs."""
        if batch.over is not None:
            items = self.values.get(batch.over)
            if not isinstance(items, list) or not items:
                raise AssertionError(
                    f"batch.over: capture '{batch.over}' is {excerpt(repr(items), 80)}, "
                    "expected a non-empty list"
                )
            return [str(item) for item in items]
        ids = []
        for number in range(batch.count or 0):
            try:
                response = self._request(step)
                ids.append(str(extract(response_json(response, "create"), batch.id)))
            except (AssertionError, Missing) as exc:
                ids.append(f"#{number + 1}: {exc}")  # a creation that failed counts as failed
        return ids

    # -- templates -----------------------------------------------------------------------------

    def render(self, value: Any) -> Any:
        """Substitute `{capture}` in strings, dicts and lists: `"{name}"` alone keeps its type,
        `"{name:str}"` and a placeholder inside text are text."""
        if isinstance(value, str):
            whole = PLACEHOLDER.fullmatch(value)
            if whole and not whole.group(2):
                return self.values[whole.group(1)]
            text = PLACEHOLDER.sub(lambda m: _text(self.values[m.group(1)]), value)
            return text.replace("{{", "{").replace("}}", "}")
        if isinstance(value, dict):
            return {self.render(k): self.render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v) for v in value]
        return value


def run_flow(
    flow: Flow,
    client_for: ClientFor,
    socket_for: SocketFor,
    on_secret: OnSecret = lambda value: None,
) -> FlowRun:
    run = FlowRun(flow, client_for, socket_for, on_secret)
    run.run()
    return run


def _text(value: Any) -> str:
    """The string form of a captured value: JSON for objects, lists, booleans and null."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _event_type(event: Any) -> Any:
    return event.get("type") if isinstance(event, dict) else None


def _missed(expected: list[str], seen: list[str]) -> list[str]:
    """The expected states not seen in order (a subsequence check)."""
    missed, position = [], 0
    for state in expected:
        try:
            position = seen.index(state, position) + 1
        except ValueError:
            missed.append(state)
    return missed


def _state(response: httpx.Response, path: str) -> str:
    what = f"{response.request.method} {response.request.url.path}"
    if not response.is_success:
        raise AssertionError(
            f"{what}: status {response.status_code} (body: {excerpt(response.text, 160)!r})"
        )
    try:
        return str(extract(response_json(response, what), path))
    except Missing as exc:
        raise AssertionError(f"{what}: {exc} (body: {excerpt(response.text, 160)!r})") from None


def _batch_verdict(batch: Batch, ids: list[str], states: dict[str, str]) -> str:
    total = len(ids)
    done = sum(1 for item in ids if states.get(item) in batch.success)
    ratio = done / total if total else 0.0
    wanted = " or ".join(batch.success)
    summary = f"{done}/{total} {wanted} ({ratio:.0%}, required {batch.min_ratio:.0%})"
    if ratio >= batch.min_ratio:
        return summary
    tally: dict[str, int] = {}
    for item in ids:
        state = "not created" if item.startswith("#") else states.get(item, "unknown")
        tally[state] = tally.get(state, 0) + 1
    others = ", ".join(f"{n} {s}" for s, n in sorted(tally.items()) if s not in batch.success)
    failed_creations = [item for item in ids if item.startswith("#")][:2]
    detail = f"; creation errors: {' | '.join(failed_creations)}" if failed_creations else ""
    raise AssertionError(f"{summary}: {others} after at most {batch.deadline_s:g} s{detail}")
