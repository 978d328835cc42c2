"""`[[e2e.flows]]`: declarative E2E flows, ordered steps with captured values.

A step is one of: an HTTP `request` (optionally `poll`ed until a state), a `batch` (N jobs, a
success ratio) or a `websocket` exchange with event rules. `{name}` in a later step is replaced by
a value an earlier step captured, in every string of the step (request, body, headers, socket URL
and message, every expectation); a name nobody captured is refused here, at load time, so the
mistake ends in exit 2 naming the flow, the step and the key instead of a red test.

Types: a string that is one placeholder alone (`"{pid}"`) keeps the captured value's JSON type (a
number stays a number); `"{pid:str}"` is always its string form, and a placeholder inside other
text (`"job {pid}"`) is text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from gate.config.base import Section
from gate.config.policy import Tier

PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(:str)?\}(?!\})")
BATCH_ITEM = "id"  # the placeholder a batch's poll request uses for each item
# A capture whose name or JSON path ends in one of these words is a secret without being listed
# in `secret` (a login's `access_token`, a `session_id`): it is masked in every output.
SECRET_WORDS = re.compile(
    r"(?i)(token|secret|password|passwd|api_?key|access_?key|session(_?id)?|cookie|jwt)$"
)


class EventRule(Section):
    """A rule on the WebSocket events of one `type`: counts, position and content."""

    type: str
    count: int | None = Field(default=None, ge=0)
    min_count: int | None = Field(default=None, ge=0)
    max_count: int | None = Field(default=None, ge=0)
    first: bool = False
    last: bool = False
    field: str | None = None
    min_length: int | None = Field(default=None, ge=0)
    contains: str | None = None
    equals: Any = None


class EventCapture(Section):
    """`capture = { run = { type = "agent_started", path = "$.run_id" } }` on a WebSocket step:
    the value at `path` of the first (or, with `last = true`, the last) event of `type`."""

    type: str | None = None
    path: str
    last: bool = False


class Poll(Section):
    """Repeat the step's request until `field` is one of `until` (or `fail_on`, or the deadline).

    `expect_seen` lists states that must have been observed on the way, in that order (e.g.
    `["queued", "running", "completed"]`); the step's content checks apply to the last answer.
    """

    field: str = "$.status"
    until: list[str]
    fail_on: list[str] = Field(default_factory=list)
    expect_seen: list[str] = Field(default_factory=list)
    interval_s: float = Field(default=1.0, gt=0)
    deadline_s: float = Field(default=60.0, gt=0)


class Batch(Section):
    """Many jobs at once: create `count` with the step's request, or take the list `over`."""

    count: int | None = Field(default=None, ge=1)
    over: str | None = None
    id: str = "$.id"
    poll: str
    field: str = "$.status"
    success: list[str]
    failure: list[str] = Field(default_factory=list)
    min_ratio: float = Field(default=1.0, ge=0, le=1)
    interval_s: float = Field(default=1.0, gt=0)
    deadline_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _one_source(self) -> Batch:
        if (self.count is None) == (self.over is None):
            raise ValueError(
                "a batch needs exactly one of 'count' (create N) or 'over' (a capture)"
            )
        return self


class Step(Section):
    """One step of a flow; see the module docstring for the kinds."""

    name: str | None = None
    identity: str | None = None
    # HTTP
    request: str | None = None
    json_body: Any = Field(default=None, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)  # HTTP request or WS handshake
    status: int | list[int] | None = None
    max_ms: float | None = Field(default=None, gt=0)
    expect_json: Any = None
    contains: str | None = None
    expect_headers: dict[str, str | None] = Field(default_factory=dict)
    capture: dict[str, str | EventCapture] = Field(default_factory=dict)
    secret: list[str] = Field(default_factory=list)
    poll: Poll | None = None
    batch: Batch | None = None
    # WebSocket
    websocket: str | None = None
    ws_auth: Literal["header", "query", "none"] = "header"
    query_param: str = "token"
    send: Any = None
    expect: list[EventRule] = Field(default_factory=list)
    order: list[str] = Field(default_factory=list)
    until_type: str | None = None
    identities: list[str] = Field(default_factory=list)
    isolate: str | None = None
    deadline_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        if self.websocket is not None:
            if self.request is not None or self.batch is not None or self.poll is not None:
                raise ValueError("a step is either 'websocket' or 'request'/'batch', not both")
        elif self.request is None and (self.batch is None or self.batch.over is None):
            raise ValueError("a step needs 'request', 'websocket', or 'batch' with 'over'")
        if self.batch is not None and self.batch.count is not None and self.request is None:
            raise ValueError("'batch.count' creates jobs with the step's 'request'; add one")
        if self.request is not None:
            parse_request(self.request)
        if self.isolate and len(self.identities) < 2:
            raise ValueError("'isolate' compares identities; list at least two in 'identities'")
        self._check_captures()
        return self

    def _check_captures(self) -> None:
        tables = [name for name, how in self.capture.items() if isinstance(how, EventCapture)]
        if self.websocket is None and tables:
            raise ValueError(
                f"capture '{tables[0]}' is a table (an event capture); an HTTP step captures "
                'with a JSON path string, e.g. capture = { id = "$.id" }'
            )
        if self.websocket is not None and self.capture and self.identities:
            raise ValueError(
                "a WebSocket step with 'identities' cannot capture (whose event would it be?); "
                "capture in a step with one 'identity'"
            )
        for name in self.secret:
            if name not in self.capture:
                raise ValueError(
                    f"'secret' lists '{name}', which this step does not capture "
                    f"(captures: {', '.join(self.capture) or 'none'})"
                )

    def secret_captures(self) -> set[str]:
        """The captures to mask: listed in `secret`, or named/pathed like a credential."""
        found = set(self.secret)
        for name, how in self.capture.items():
            path = how if isinstance(how, str) else how.path
            last = re.split(r"[.\[\]\"$]+", path.strip(']"'))[-1]
            if SECRET_WORDS.search(name) or SECRET_WORDS.search(last):
                found.add(name)
        return found

    @property
    def kind(self) -> str:
        if self.websocket is not None:
            return "websocket"
        if self.batch is not None:
            return "batch"
        return "poll" if self.poll is not None else "request"

    def label(self, index: int) -> str:
        if self.name:
            return self.name
        if self.request:
            return self.request
        return f"WS {self.websocket}" if self.websocket else f"step {index + 1}"


class Flow(Section):
    """`[[e2e.flows]]`: one JUnit testcase; steps run in order, stopping at the first failure."""

    name: str
    priority: Tier | None = None
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _captures_exist(self) -> Flow:
        known: list[str] = []
        for index, step in enumerate(self.steps):
            where = f"flow '{self.name}', step {index + 1} ('{step.label(index)}')"
            for key, value in _templated(step):
                for name in _placeholders([value]):
                    _require(name, known, where, key)
            if step.batch is not None:
                if step.batch.over is not None:
                    _require(step.batch.over, known, where, "batch.over")
                for name in _placeholders([step.batch.poll]):
                    if name != BATCH_ITEM:
                        _require(name, known, where, "batch.poll")
            known.extend(step.capture)
        return self


def _templated(step: Step) -> Iterator[tuple[str, Any]]:
    """Every key of a step whose strings may hold `{capture}`, with its value."""
    yield from [
        ("request", step.request),
        ("json", step.json_body),
        ("headers", step.headers),
        ("expect_json", step.expect_json),
        ("contains", step.contains),
        ("expect_headers", step.expect_headers),
        ("websocket", step.websocket),
        ("send", step.send),
    ]
    for number, rule in enumerate(step.expect):
        yield f"expect[{number}].equals", rule.equals
        yield f"expect[{number}].contains", rule.contains
    if step.poll is not None:
        yield "poll.until", step.poll.until
        yield "poll.fail_on", step.poll.fail_on
        yield "poll.expect_seen", step.poll.expect_seen
    if step.batch is not None:
        yield "batch.success", step.batch.success
        yield "batch.failure", step.batch.failure


def _require(name: str, known: list[str], where: str, key: str) -> None:
    if name not in known:
        have = ", ".join(f"'{k}'" for k in known) or "none"
        raise ValueError(
            f"{where} uses capture '{name}' in key '{key}', but no earlier step captures it "
            f"(captured before this step: {have})"
        )


def _placeholders(values: list[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield from (match.group(1) for match in PLACEHOLDER.finditer(value))
        elif isinstance(value, dict):
            yield from _placeholders(list(value.keys()) + list(value.values()))
        elif isinstance(value, list):
            yield from _placeholders(value)


def parse_request(request: str) -> tuple[str, str]:
    """`"POST /api/jobs"` -> `("POST", "/api/jobs")`; a bare path means GET."""
    parts = request.split(None, 1)
    if len(parts) == 1:
        return "GET", parts[0]
    method, path = parts
    if not method.isalpha():
        raise ValueError(f"request {request!r}: expected 'METHOD /path', e.g. 'POST /api/jobs'")
    return method.upper(), path.strip()
