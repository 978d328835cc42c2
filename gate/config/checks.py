"""`[readiness]`, `[auth]`, `[smoke]` and `[e2e]`: what the runner checks before stress.

The smoke and E2E tables are data for the built-in check modules in `gate.checks`; the flow
models (`[[e2e.flows]]`) live in `gate.config.flows`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from gate.config.base import Section
from gate.config.flows import Flow
from gate.config.policy import Tier

DEFAULT_SECURITY_HEADERS = (
    "strict-transport-security",
    "x-content-type-options",
    "content-security-policy",
)


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


class Identity(Section):
    """A second (third, ...) user for isolation checks: `[auth.identities.bob]`."""

    bearer: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class AuthConfig(Section):
    """Credentials sent with every smoke/E2E request. Use `${VAR}` so they stay out of git.

    `bearer` is the token alone (`Authorization: Bearer <bearer>` is sent); `identities` are
    further named users that flow steps select with `identity = "name"`.
    """

    bearer: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    identities: dict[str, Identity] = Field(default_factory=dict)


class HttpCheck(Section):
    """`[[smoke.http]]`: one request, its expected status, latency budget and content."""

    name: str | None = None
    method: str = "GET"
    path: str
    status: int = 200
    max_ms: float | None = Field(default=None, gt=0)
    json_body: Any = Field(default=None, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    auth: bool = True
    expect_json: Any = None
    contains: str | None = None
    expect_headers: dict[str, str | None] = Field(default_factory=dict)
    priority: Tier | None = None

    def label(self) -> str:
        """The JUnit name, e.g. `GET /health -> 200 within 500 ms`."""
        if self.name:
            return self.name
        budget = f" within {self.max_ms:g} ms" if self.max_ms is not None else ""
        return f"{self.method.upper()} {self.path} -> {self.status}{budget}"


class TlsCheck(Section):
    """`[smoke.tls]`: the https target's certificate chain, hostname and remaining validity."""

    min_days: int = Field(default=14, ge=0)
    ca_file: str | None = None
    priority: Tier | None = None


class SecurityHeadersCheck(Section):
    """`[smoke.security_headers]`: response headers that must be present on `path`."""

    path: str = "/"
    headers: list[str] = Field(default_factory=lambda: list(DEFAULT_SECURITY_HEADERS))
    priority: Tier | None = None


class CorsCheck(Section):
    """`[[smoke.cors]]`: a preflight from `origin` must be allowed (or refused)."""

    path: str = "/"
    origin: str
    method: str = "GET"
    request_headers: list[str] = Field(default_factory=list)
    allowed: bool = True
    priority: Tier | None = None


class RedirectCheck(Section):
    """`[smoke.https_redirect]`: plain http must redirect to https on the same host and path.

    `http_url` overrides the derived `http://host/path` (e.g. a different port).
    """

    path: str = "/"
    http_url: str | None = None
    priority: Tier | None = None


class WebSocketCheck(Section):
    """`[[smoke.websocket]]`: handshake and a ping/pong, or send one message and expect a reply."""

    name: str | None = None
    path: str
    auth: Literal["header", "query", "none"] = "header"
    query_param: str = "token"
    send: Any = None
    expect_type: str | None = None
    expect_contains: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    priority: Tier | None = None

    def label(self) -> str:
        if self.name:
            return self.name
        if self.send is None:
            return f"WS {self.path} handshake"
        what = f"'{self.expect_type}'" if self.expect_type else "a reply"
        return f"WS {self.path} round trip -> {what} within {self.timeout_s:g} s"


class SmokeConfig(Section):
    timeout_s: float = Field(default=120.0, gt=0)
    request_timeout_s: float = Field(default=10.0, gt=0)
    http: list[HttpCheck] = Field(default_factory=list)
    tls: TlsCheck | None = None
    security_headers: SecurityHeadersCheck | None = None
    cors: list[CorsCheck] = Field(default_factory=list)
    https_redirect: RedirectCheck | None = None
    websocket: list[WebSocketCheck] = Field(default_factory=list)


class E2EConfig(Section):
    """`[e2e]`: the user's pytest paths (run with the plugin) and declarative flows."""

    timeout_s: float = Field(default=600.0, gt=0)
    request_timeout_s: float = Field(default=10.0, gt=0)
    pytest: list[str] = Field(default_factory=list)
    # How the user's tests run (gate/suite_launch.py): their conftest files always apply; their
    # pytest ini (and PYTEST_ADDOPTS) only with inherit_ini; pytest_args are added either way.
    pytest_args: list[str] = Field(default_factory=list)
    inherit_ini: bool = False
    # Packages the E2E tests import, installed into the gate's environment before the run:
    # requirement specifiers ("pyjwt>=2") or requirements files (ending in .txt, or with a "/").
    requirements: list[str] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_flow_names(self) -> E2EConfig:
        seen: set[str] = set()
        for flow in self.flows:
            if flow.name in seen:
                raise ValueError(f"two flows are named '{flow.name}'; flow names must be unique")
            seen.add(flow.name)
        return self
