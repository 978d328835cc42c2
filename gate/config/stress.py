"""`[stress]`: the open-model load run and its k6-style thresholds."""

from pydantic import Field

from gate.config.base import Section


class StressConfig(Section):
    duration_s: float = Field(default=10.0, gt=0)
    rate: float = Field(default=50.0, gt=0)
    thresholds: dict[str, list[str]] = Field(default_factory=dict)
