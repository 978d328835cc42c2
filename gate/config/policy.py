"""`[policy]`: how test outcomes become a verdict (DESIGN.md section 4)."""

from typing import Literal

from pydantic import Field

from gate.config.base import Section

Tier = Literal["p1", "p2", "p3", "p4", "p5", "p6"]
ALL_TIERS: tuple[Tier, ...] = ("p1", "p2", "p3", "p4", "p5", "p6")


class QuarantineEntry(Section):
    """A known-bad test: reported under its reason, never hidden, never blocking."""

    id: str
    reason: str


class SuitePolicy(Section):
    """Per-suite overrides of the policy defaults."""

    blocking: bool = True
    skip_budget: int | None = Field(default=None, ge=0)
    min_tests: int | None = Field(default=None, ge=0)


class PolicyConfig(Section):
    min_tests: int = Field(default=1, ge=0)
    skip_budget: int = Field(default=0, ge=0)
    flaky: Literal["warn", "block", "ignore"] = "warn"
    block_tiers: list[Tier] = Field(default_factory=lambda: list(ALL_TIERS))
    warn_tiers: list[Tier] = Field(default_factory=list)
    quarantine: list[QuarantineEntry] = Field(default_factory=list)
    suites: dict[str, SuitePolicy] = Field(default_factory=dict)
