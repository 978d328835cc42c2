"""The root of `gate.toml` (or `[tool.gate]` in `pyproject.toml`)."""

from pydantic import Field, PrivateAttr

from gate.config.base import Section
from gate.config.baseline import BaselineConfig
from gate.config.checks import AuthConfig, E2EConfig, ReadinessConfig, SmokeConfig
from gate.config.policy import PolicyConfig
from gate.config.publish import PublishConfig
from gate.config.stress import StressConfig

SUITES = ("smoke", "e2e", "stress")


class GateConfig(Section):
    target: str | None = None
    environment: str = "staging"
    suites: list[str] = Field(default_factory=lambda: list(SUITES))
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

    @property
    def source(self) -> str:
        return self._source

    @property
    def secret_values(self) -> frozenset[str]:
        """Interpolated `${VAR}` values and `secrets = [...]` entries, for redaction."""
        return self._secret_values
