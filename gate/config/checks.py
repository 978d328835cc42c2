"""`[readiness]`, `[auth]`, `[smoke]` and `[e2e]`: what the runner checks before stress."""

from pydantic import Field

from gate.config.base import Section


class ReadinessConfig(Section):
    """Poll `path` on the target until it answers `status`, or block after `timeout_s`."""

    path: str = "/"
    status: int = 200
    timeout_s: float = Field(default=60.0, gt=0)
    interval_s: float = Field(default=2.0, gt=0)


class AuthConfig(Section):
    """Credentials sent with every smoke/E2E request. Use `${VAR}` so they stay out of git."""

    bearer: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class SmokeConfig(Section):
    timeout_s: float = Field(default=120.0, gt=0)


class E2EConfig(Section):
    timeout_s: float = Field(default=600.0, gt=0)
    pytest: list[str] = Field(default_factory=list)
