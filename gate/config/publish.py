"""`[publish]`: where `gate publish` posts the verdict, and how long it may try."""

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
    # Total time for every GitHub call, retries and Retry-After waits included; then a warning.
    budget_s: float = Field(default=60.0, gt=0)
    # Pause between writes (GitHub asks for about 1 s to avoid secondary rate limits).
    write_interval_s: float = Field(default=1.0, ge=0, le=10)
