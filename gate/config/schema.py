"""The root of `gate.toml` (or `[tool.gate]` in `pyproject.toml`)."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PrivateAttr, model_validator

from gate.config.base import Section
from gate.config.baseline import BaselineConfig
from gate.config.checks import AuthConfig, E2EConfig, ReadinessConfig, SmokeConfig
from gate.config.identities import identity_problems
from gate.config.policy import PolicyConfig
from gate.config.publish import PublishConfig
from gate.config.stress import StressConfig
from gate.config.suites import SUITES, SuiteName, suite_problem

__all__ = ["SUITES", "GateConfig", "SuiteName"]


def _known_suite(value: Any) -> Any:
    """The suites' own message (valid names, did-you-mean) instead of pydantic's Literal one."""
    problem = suite_problem([value]) if isinstance(value, str) else None
    if problem:
        raise ValueError(problem)
    return value


class GateConfig(Section):
    target: str | None = None
    environment: str = "staging"
    suites: list[Annotated[SuiteName, BeforeValidator(_known_suite)]] = Field(
        default_factory=lambda: list(SUITES)
    )
    secrets: list[str] = Field(default_factory=list)
    readiness: ReadinessConfig | None = None
    auth: AuthConfig = Field(default_factory=AuthConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    smoke: SmokeConfig | None = None
    e2e: E2EConfig | None = None
    stress: StressConfig | None = None
    publish: PublishConfig = Field(default_factory=PublishConfig)
    baseline: BaselineConfig = Field(default_factory=BaselineConfig)

    # Where the configuration came from (for messages) and every value that must never be shown.
    _source: str = PrivateAttr(default="<defaults>")
    _secret_values: frozenset[str] = PrivateAttr(default=frozenset())

    @model_validator(mode="after")
    def _identities_known(self) -> "GateConfig":
        """Every identity a check or step names is configured (one line per problem)."""
        flows = self.e2e.flows if self.e2e is not None else []
        problems = identity_problems(self.auth.identities, self.smoke, flows)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def source(self) -> str:
        return self._source

    @property
    def secret_values(self) -> frozenset[str]:
        """Interpolated `${VAR}` values and `secrets = [...]` entries, for redaction."""
        return self._secret_values
