"""`[publish]`: where `gate publish` posts the verdict."""

from typing import Literal

from pydantic import Field

from gate.config.base import Section

Surface = Literal["comment", "deployment-status", "commit-status", "check-run", "summary"]
ALL_SURFACES: tuple[Surface, ...] = (
    "comment",
    "deployment-status",
    "commit-status",
    "check-run",
    "summary",
)


class PublishConfig(Section):
    surfaces: list[Surface] = Field(default_factory=lambda: list(ALL_SURFACES))
    budget_s: float = Field(default=60.0, gt=0)
