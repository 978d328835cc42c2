"""`[policy]`: how test outcomes become a verdict (docs/design.md, verdicts).

```toml
[policy]
min_tests = 1            # fewer unique tests in a suite: inconclusive (blocks)
skip_budget = 0          # skipped tests allowed per blocking suite before it is inconclusive
flaky = "warn"           # "warn" | "block" | "ignore": a test that failed, then passed
block_tiers = ["p1", "p2", "p3"]   # failures in these priority tiers block; other tiers warn
untiered = "block"       # failures of tests without a priority property: "block" | "warn"
quarantine = [{ id = "tests.test_jobs::test_retry", reason = "JIRA-123 flaky upstream" }]
smoke_gates_rest = true  # false: e2e and stress run even when smoke blocks (`--keep-going`)

[policy.suites.stress]
blocking = false         # advisory: a failure there warns, never blocks
[policy.suites.e2e]
skip_budget = 5
junit = ["reports/e2e/**/*.xml"]   # `gate report`: files matching these belong to suite e2e
```
"""

from typing import Literal

from pydantic import Field, field_validator, model_validator

from gate.config.base import Section

Tier = Literal["p1", "p2", "p3", "p4", "p5", "p6"]
ALL_TIERS: tuple[Tier, ...] = ("p1", "p2", "p3", "p4", "p5", "p6")


class QuarantineEntry(Section):
    """A known-bad test: reported under its reason, never hidden, never blocking.

    `id` matches a test's reported id (`classname::name`), its `classname.name`, or its bare
    name; `*` and `?` wildcards work. `suite` limits the entry to one suite.
    """

    id: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    suite: str | None = None


class SuitePolicy(Section):
    """Per-suite overrides of the policy defaults."""

    blocking: bool = True
    skip_budget: int | None = Field(default=None, ge=0)
    min_tests: int | None = Field(default=None, ge=0)
    flaky: Literal["warn", "block", "ignore"] | None = None
    junit: list[str] = Field(default_factory=list)


class PolicyConfig(Section):
    min_tests: int = Field(default=1, ge=0)
    skip_budget: int = Field(default=0, ge=0)
    flaky: Literal["warn", "block", "ignore"] = "warn"
    block_tiers: list[Tier] = Field(default_factory=lambda: list(ALL_TIERS))
    untiered: Literal["block", "warn"] = "block"
    quarantine: list[QuarantineEntry] = Field(default_factory=list)
    suites: dict[str, SuitePolicy] = Field(default_factory=dict)
    # Fail fast by default: a deployment whose smoke checks block is not worth minutes of e2e and
    # load. False runs them anyway, so one round trip tells about every suite.
    smoke_gates_rest: bool = True

    @field_validator("suites")
    @classmethod
    def _readiness_blocks(cls, suites: dict[str, SuitePolicy]) -> dict[str, SuitePolicy]:
        readiness = suites.get("readiness")
        if readiness is not None and not readiness.blocking:
            raise ValueError(
                "readiness cannot be advisory (blocking = false): when the target never becomes "
                "ready no suite runs, so a warning there would pass a gate that checked nothing"
            )
        return suites

    @model_validator(mode="after")
    def _unique_quarantine(self) -> "PolicyConfig":
        seen: set[tuple[str, str | None]] = set()
        for entry in self.quarantine:
            key = (entry.id, entry.suite)
            if key in seen:
                raise ValueError(f"quarantine lists {entry.id!r} twice")
            seen.add(key)
        return self

    def for_suite(self, name: str) -> SuitePolicy:
        """The suite's own settings (defaults when the suite has no table)."""
        return self.suites.get(name) or SuitePolicy()
