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
    The time until ready and the latency of that ready answer (the cold start) are recorded;
    `max_ready_s` / `max_first_ms` make them testcases of the suite `cold_start`.
    """

    path: str = "/"
    status: int = Field(default=200, ge=0, le=599)
    timeout_s: float = Field(default=60.0, gt=0)
    interval_s: float = Field(default=2.0, gt=0)
    request_timeout_s: float = Field(default=10.0, gt=0)
    max_ready_s: float | None = Field(default=None, gt=0)
    max_first_ms: float | None = Field(default=None, gt=0)


class Login(Section):
    """`[auth.identities.NAME.login]`: how an identity obtains its token, once per check run.

    `method path` is sent with `json` (use `${VAR}` for the password) and no credentials; the
    token is the string at the JSON path `token` of the answer (a 2xx, or `status`).
    """

    method: str = "POST"
    path: str
    json_body: Any = Field(default=None, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    status: int | None = Field(default=None, ge=100, le=599)
    token: str | None = None

    @model_validator(mode="after")
    def _token_path(self) -> Login:
        if not self.token:
            raise ValueError(
                "a login needs 'token', the JSON path of the token in the login answer "
                '(e.g. token = "$.access_token")'
            )
        if not self.token.startswith("$"):
            raise ValueError(f"'token' must be a JSON path starting with '$', found {self.token!r}")
        return self


class Identity(Section):
    """A named user, `[auth.identities.bob]`: a static `bearer`, or a `login` request."""

    bearer: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    login: Login | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Identity:
        if self.bearer is not None and self.login is not None:
            raise ValueError("an identity has either 'bearer' or 'login', not both")
        return self


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
    identity: str | None = None
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
    identity: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
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


class RateLimitCheck(Section):
    """`[[smoke.rate_limit]]`: `requests` requests within `within_s` must meet a 429.

    They are sent `concurrency` at a time as fast as the target answers; the check passes at the
    first `status` answer (with a `Retry-After` header when `retry_after = true`) and fails when
    all were answered without one, or when `within_s` ran out first.
    """

    name: str | None = None
    method: str = "GET"
    path: str
    json_body: Any = Field(default=None, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    auth: bool = True
    identity: str | None = None
    requests: int = Field(ge=1, le=10_000)
    within_s: float = Field(gt=0, le=600)
    concurrency: int = Field(default=10, ge=1, le=100)
    status: int = Field(default=429, ge=400, le=599)
    retry_after: bool = False
    priority: Tier | None = None

    def label(self) -> str:
        if self.name:
            return self.name
        header = " with Retry-After" if self.retry_after else ""
        return (
            f"{self.method.upper()} {self.path}: {self.requests} requests within "
            f"{self.within_s:g} s meet a {self.status}{header}"
        )


class SmokeConfig(Section):
    timeout_s: float = Field(default=120.0, gt=0)
    request_timeout_s: float = Field(default=10.0, gt=0)
    http: list[HttpCheck] = Field(default_factory=list)
    tls: TlsCheck | None = None
    security_headers: SecurityHeadersCheck | None = None
    cors: list[CorsCheck] = Field(default_factory=list)
    https_redirect: RedirectCheck | None = None
    websocket: list[WebSocketCheck] = Field(default_factory=list)
    rate_limit: list[RateLimitCheck] = Field(default_factory=list)


class E2EConfig(Section):
    """`[e2e]`: the user's pytest paths (run with the plugin) and declarative flows."""

    timeout_s: float = Field(default=600.0, gt=0)
    request_timeout_s: float = Field(default=10.0, gt=0)
    # Flows run side by side, at most this many at once: a deployment whose jobs never finish
    # costs about the longest flow deadline, not their sum. 1 runs them one after another.
    max_parallel: int = Field(default=4, ge=1, le=64)
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
