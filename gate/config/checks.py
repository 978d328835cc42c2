"""`[readiness]`, `[auth]`, `[smoke]` and `[e2e]`: what the runner checks before stress."""

from pydantic import Field

from gate.config.base import Section


class ReadinessConfig(Section):
    """Poll `path` on the target until it answers `status`, or block after `timeout_s`.

    `status = 0` accepts any answer below 500 (what the runner uses when `[readiness]` is absent:
    the target must answer HTTP at all, a proxy's 502/503 during a rollout does not count).
    """

    path: str = "/"
    status: int = Field(default=200, ge=0, le=599)
    timeout_s: float = Field(default=60.0, gt=0)
    interval_s: float = Field(default=2.0, gt=0)
    request_timeout_s: float = Field(default=10.0, gt=0)


class AuthConfig(Section):
    """Credentials sent with every smoke/E2E request. Use `${VAR}` so they stay out of git."""

    bearer: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class SmokeConfig(Section):
    timeout_s: float = Field(default=120.0, gt=0)


class E2EConfig(Section):
    timeout_s: float = Field(default=600.0, gt=0)
    pytest: list[str] = Field(default_factory=list)
