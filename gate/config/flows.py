"""`[[e2e.flows]]`: declarative E2E flows, ordered steps with captured values.

A step is one of: an HTTP `request` (optionally `poll`ed until a state), a `batch` (N jobs, a
success ratio) or a `websocket` exchange with event rules. `{name}` in a later step is replaced by
a value an earlier step captured; a name nobody captured is refused here, at load time, so the
mistake ends in exit 2 naming the flow, the step and the capture instead of a red test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from gate.config.base import Section
from gate.config.policy import Tier

PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
BATCH_ITEM = "id"  # the placeholder a batch's poll request uses for each item


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
    headers: dict[str, str] = Field(default_factory=dict)
    status: int | list[int] | None = None
    max_ms: float | None = Field(default=None, gt=0)
    expect_json: Any = None
    contains: str | None = None
    capture: dict[str, str] = Field(default_factory=dict)
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
        return self

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
            for name in _placeholders([step.request, step.json_body, step.headers]):
                _require(name, known, where)
            for name in _placeholders([step.websocket, step.send]):
                _require(name, known, where)
            if step.batch is not None:
                if step.batch.over is not None:
                    _require(step.batch.over, known, where + " batch.over")
                for name in _placeholders([step.batch.poll]):
                    if name != BATCH_ITEM:
                        _require(name, known, where + " batch.poll")
            known.extend(step.capture)
        return self


def _require(name: str, known: list[str], where: str) -> None:
    if name not in known:
        have = ", ".join(f"'{k}'" for k in known) or "none"
        raise ValueError(
            f"{where} uses capture '{name}', but no earlier step captures it "
            f"(captured before this step: {have})"
        )


def _placeholders(values: list[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield from PLACEHOLDER.findall(value)
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
