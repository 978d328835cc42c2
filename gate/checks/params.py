"""Turning `[smoke]` and `[[e2e.flows]]` entries into pytest parameters (id = JUnit name)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from gate.checks import NOTHING_CONFIGURED
from gate.config import GateConfig
from gate.config.checks import SmokeConfig
from gate.plugin import gate_config_of


def smoke_params(metafunc: pytest.Metafunc) -> None:
    """Parametrize `test_<kind>(check)` with the `[smoke]` entries of that kind."""
    smoke = gate_config_of(metafunc.config).smoke or SmokeConfig()
    kind = metafunc.function.__name__.removeprefix("test_")
    checks: dict[str, Sequence[Any]] = {
        "http": smoke.http,
        "tls": [smoke.tls] if smoke.tls else [],
        "security_headers": [smoke.security_headers] if smoke.security_headers else [],
        "cors": smoke.cors,
        "https_redirect": [smoke.https_redirect] if smoke.https_redirect else [],
        "websocket": smoke.websocket,
        "rate_limit": smoke.rate_limit,
    }
    _parametrize(metafunc, "check", [_param(c, _label(kind, c)) for c in checks[kind]])


def flow_params(metafunc: pytest.Metafunc) -> None:
    config: GateConfig = gate_config_of(metafunc.config)
    flows = config.e2e.flows if config.e2e else []
    _parametrize(metafunc, "flow", [_param(flow, flow.name) for flow in flows])


def _parametrize(metafunc: pytest.Metafunc, name: str, params: list[Any]) -> None:
    if not params:
        params = [pytest.param(NOTHING_CONFIGURED, id=NOTHING_CONFIGURED)]
    metafunc.parametrize(name, params)


def _param(value: Any, label: str) -> Any:
    tier = getattr(value, "priority", None)
    marks = [getattr(pytest.mark, tier)] if tier else []
    return pytest.param(value, id=label, marks=marks)


def _label(kind: str, check: Any) -> str:
    if hasattr(check, "label"):
        return str(check.label())
    if kind == "tls":
        return f"TLS certificate valid for at least {check.min_days} days"
    if kind == "security_headers":
        return f"security headers on {check.path}: {', '.join(check.headers)}"
    if kind == "cors":
        verb = "allowed" if check.allowed else "refused"
        return f"CORS preflight {check.method} {check.path} from {check.origin} {verb}"
    return f"http -> https redirect of {check.path}"
