"""One endpoint of the request mix, in the two shapes a run needs.

`[[stress.requests]]` (`gate.config.stress.RequestSpec`, what the user wrote) becomes an
`EndpointPlan` (absolute URL, bytes body: plain picklable data sent to worker processes), which
each worker prepares once into a `PreparedRequest` (its encoded bytes and its origin's connection
pool) so the hot path allocates nothing for it. What is measured per endpoint lives apart, in the
recorder (`gate.stress.recorder.EndpointStats`), found by the request's `index`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from yarl import URL

if TYPE_CHECKING:
    from gate.stress.h1 import Pool


@dataclass(frozen=True)
class EndpointPlan:
    """The planned request: the same in every worker."""

    name: str
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    expect: tuple[int, ...] | None
    weight: int = 1


@dataclass(eq=False, slots=True)
class PreparedRequest:
    """A worker's ready-to-send form of one `EndpointPlan`."""

    index: int  # position in the mix: the recorder's stats slot for this endpoint
    name: str
    method: str
    url: URL | str
    headers: dict[str, str]
    body: bytes | None
    expect: frozenset[int] | None  # None: 200-399 succeed (k6's default)
    wire: bytes = b""  # the encoded request (lean client)
    pool: Pool | None = None  # its origin's connections (lean client)

    @classmethod
    def from_plan(cls, index: int, plan: EndpointPlan) -> PreparedRequest:
        expect = frozenset(plan.expect) if plan.expect else None
        return cls(index, plan.name, plan.method, URL(plan.url), plan.headers, plan.body, expect)

    def succeeded(self, status: int) -> bool:
        return 200 <= status < 400 if self.expect is None else status in self.expect
