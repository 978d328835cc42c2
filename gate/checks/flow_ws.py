"""WebSocket flow steps: send a message, collect events, judge counts, order, content, isolation.

With `identities = ["alice", "bob"]` the step runs once per identity at the same time, each on
its own connection, and `isolate = "$.user"` requires that every connection sees events of one
owner only, and a different owner from every other connection: events must not cross.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gate.checks.match import Missing, excerpt, extract, subset_mismatch
from gate.checks.ws import NoMessage, WebSocket
from gate.config.flows import EventRule, Step

TYPE_KEY = "type"
SocketFor = Callable[[str, str | None, str, str, dict[str, str]], WebSocket]


def run_websocket_step(
    step: Step, render: Callable[[Any], Any], socket_for: SocketFor
) -> tuple[str, list[Any]]:
    """Run the step for its identity (or each of its identities) and check the rules.

    Returns a summary and the events of the (single) connection, for captures. Every
    expectation value is rendered first, so `equals = "{uid}"` compares with the capture.
    """
    identities: list[str | None] = list(step.identities) or [step.identity]
    path = str(render(step.websocket))
    message = render(step.send)
    headers = {str(k): str(v) for k, v in render(step.headers).items()}
    step = step.model_copy(update={"expect": [_rendered(rule, render) for rule in step.expect]})
    if len(identities) == 1:
        events = {identities[0]: _exchange(step, path, message, headers, identities[0], socket_for)}
    else:
        # Every connection is open before any message is sent: an event that leaks to another
        # user can only be seen by a socket that is listening while the run streams.
        ready = threading.Barrier(len(identities), timeout=step.deadline_s)
        with ThreadPoolExecutor(max_workers=len(identities)) as pool:
            futures = {
                who: pool.submit(_exchange, step, path, message, headers, who, socket_for, ready)
                for who in identities
            }
            events = {who: future.result() for who, future in futures.items()}
    problems: list[str] = []
    for who, received in events.items():
        prefix = f"[{who}] " if len(events) > 1 else ""
        problems += [prefix + p for p in event_problems(step, received)]
    if step.isolate:
        problems += isolation_problems(step.isolate, events)
    if problems:
        raise AssertionError("; ".join(problems))
    counts = ", ".join(f"{who or 'default'}: {len(e)} events" for who, e in events.items())
    return counts, next(iter(events.values()))


def _rendered(rule: EventRule, render: Callable[[Any], Any]) -> EventRule:
    return rule.model_copy(
        update={"equals": render(rule.equals), "contains": render(rule.contains)}
    )


def _exchange(
    step: Step,
    path: str,
    message: Any,
    headers: dict[str, str],
    identity: str | None,
    socket_for: SocketFor,
    ready: threading.Barrier | None = None,
) -> list[Any]:
    label = f"[{identity}] " if step.identities else ""
    try:
        try:
            socket = socket_for(path, identity, step.ws_auth, step.query_param, headers)
        except BaseException:
            if ready is not None:
                ready.abort()  # the other connections stop waiting for this one
            raise
        with socket:
            if ready is not None:
                _wait(ready)
            if message is not None:
                socket.send_json(message)
            try:
                return socket.collect(step.deadline_s, until_type=_until(step))
            except NoMessage:
                raise
            except AssertionError as exc:  # closed or not JSON: say how far the stream got
                seen = " -> ".join(str(_type(e)) for e in socket.received) or "no events"
                raise AssertionError(f"{exc}; events so far: {seen}") from None
    except AssertionError as exc:
        raise AssertionError(f"{label}{exc}") from None


def _wait(ready: threading.Barrier) -> None:
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        raise AssertionError(
            "not sent: another identity's connection failed or did not open in time"
        ) from None


def _until(step: Step) -> str | None:
    """Stop reading at the event that must come last (or the last one of `order`)."""
    if step.until_type:
        return step.until_type
    last = [rule.type for rule in step.expect if rule.last]
    if last:
        return last[0]
    return step.order[-1] if step.order else None


def event_problems(step: Step, events: list[Any]) -> list[str]:
    problems: list[str] = []
    types = [_type(e) for e in events]
    for rule in step.expect:
        problems += _rule_problems(rule, events, types)
    if step.order:
        problems += _order_problems(step.order, types)
    return problems


def _rule_problems(rule: EventRule, events: list[Any], types: list[Any]) -> list[str]:
    matching = [e for e in events if _type(e) == rule.type]
    found = len(matching)
    problems = []
    if rule.count is not None and found != rule.count:
        problems.append(f"expected exactly {rule.count} '{rule.type}', got {found}")
    if rule.min_count is not None and found < rule.min_count:
        problems.append(f"expected at least {rule.min_count} '{rule.type}', got {found}")
    if rule.max_count is not None and found > rule.max_count:
        problems.append(f"expected at most {rule.max_count} '{rule.type}', got {found}")
    if rule.last and types and types[-1] != rule.type:
        problems.append(f"expected '{rule.type}' last, the last event was '{types[-1]}'")
    if rule.first and types and types[0] != rule.type:
        problems.append(f"expected '{rule.type}' first, the first event was '{types[0]}'")
    if rule.field is not None:
        for number, event in enumerate(matching, start=1):
            problem = _content_problem(rule, event)
            if problem:
                problems.append(f"'{rule.type}' #{number}: {problem}")
                break
    return problems


def _content_problem(rule: EventRule, event: Any) -> str | None:
    assert rule.field is not None
    try:
        value = extract(event, rule.field)
    except Missing as exc:
        return str(exc)
    text = value if isinstance(value, str) else str(value)
    if rule.min_length is not None and len(text) < rule.min_length:
        return (
            f"{rule.field} has {len(text)} characters, expected at least {rule.min_length} "
            f"({excerpt(text, 80)!r})"
        )
    if rule.contains is not None and rule.contains not in text:
        return f"{rule.field} does not contain {rule.contains!r} ({excerpt(text, 80)!r})"
    if rule.equals is not None:
        mismatch = subset_mismatch(rule.equals, value, rule.field)
        if mismatch:
            return mismatch
    return None


def _order_problems(order: list[str], types: list[Any]) -> list[str]:
    """Every listed type present, and their first appearances in the listed order."""
    missing = [name for name in order if name not in types]
    if missing:
        return [f"order: missing {', '.join(repr(m) for m in missing)}; saw {_trail(types)}"]
    firsts = [types.index(name) for name in order]
    if firsts != sorted(firsts):
        return [f"order: expected {' -> '.join(order)}, saw {_trail(types)}"]
    return []


def isolation_problems(path: str, events: dict[str | None, list[Any]]) -> list[str]:
    """Each connection sees one owner (the value at `path`), and no two share one."""
    problems: list[str] = []
    owners: dict[str | None, set[str]] = {}
    for who, received in events.items():
        values: set[str] = set()
        for event in received:
            try:
                values.add(str(extract(event, path)))
            except Missing:
                values.add("<missing>")
        owners[who] = values
        if len(values) > 1:
            problems.append(
                f"isolation: events crossed users: '{who}' received events of {len(values)} "
                f"owners ({', '.join(sorted(values))} at {path})"
            )
    names = list(owners)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            shared = owners[first] & owners[second]
            if shared:
                problems.append(
                    f"isolation: '{first}' and '{second}' both received events of "
                    f"{', '.join(sorted(shared))} at {path}"
                )
    return problems


def _type(event: Any) -> Any:
    return event.get(TYPE_KEY) if isinstance(event, dict) else None


def _trail(types: list[Any]) -> str:
    return " -> ".join(str(t) for t in types) or "no events"
