"""Built-in smoke checks: a pytest module, one test per `[smoke]` entry.

Run by the runner as `python -m pytest <this file> -p gate.plugin --gate-target URL ...`. Each
parameter's id is the readable JUnit name (`GET /health -> 200 within 500 ms`); the plugin gives
the testcases the classname `smoke.<kind>`.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from gate.checks.client import make_client
from gate.checks.params import smoke_params
from gate.checks.probes import (
    check_cors,
    check_http,
    check_https_redirect,
    check_security_headers,
)
from gate.checks.rate_limit import check_rate_limit
from gate.checks.tls import check_tls
from gate.checks.ws import WebSocket
from gate.config import GateConfig
from gate.config.checks import (
    CorsCheck,
    HttpCheck,
    RateLimitCheck,
    RedirectCheck,
    SecurityHeadersCheck,
    TlsCheck,
    WebSocketCheck,
)

GATE_SUITE = "smoke"

HttpAs = Callable[..., httpx.Client]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    smoke_params(metafunc)


def test_http(check: HttpCheck, http_as: HttpAs, gate_config: GateConfig) -> None:
    check_http(http_as(check.identity, auth=check.auth, timeout_s=_timeout(gate_config)), check)


def test_rate_limit(check: RateLimitCheck, http_as: HttpAs, gate_config: GateConfig) -> None:
    client = http_as(check.identity, auth=check.auth, timeout_s=_timeout(gate_config))
    check_rate_limit(client, check)


def test_tls(check: TlsCheck, base_url: str, gate_config: GateConfig) -> None:
    check_tls(base_url, check, timeout_s=_timeout(gate_config))


def test_security_headers(
    check: SecurityHeadersCheck, http_as: HttpAs, gate_config: GateConfig
) -> None:
    check_security_headers(http_as(None, timeout_s=_timeout(gate_config)), check)


def test_cors(check: CorsCheck, http_as: HttpAs, gate_config: GateConfig) -> None:
    check_cors(http_as(None, auth=False, timeout_s=_timeout(gate_config)), check)


def test_https_redirect(check: RedirectCheck, base_url: str, gate_config: GateConfig) -> None:
    # Anonymous on purpose: credentials are never sent over plain http.
    with make_client(base_url, {}, timeout_s=_timeout(gate_config)) as client:
        check_https_redirect(client, base_url, check)


def test_websocket(check: WebSocketCheck, ws_connect: Callable[..., WebSocket]) -> None:
    with ws_connect(
        check.path,
        identity=check.identity,
        auth=check.auth,
        query_param=check.query_param,
        open_timeout_s=check.timeout_s,
        headers=check.headers,
    ) as socket:
        if check.send is None:
            socket.ping(check.timeout_s)
            return
        socket.send_json(check.send)
        if check.expect_type is None:
            reply = socket.recv_json(check.timeout_s)
        else:
            reply = socket.collect(check.timeout_s, until_type=check.expect_type)[-1]
        if check.expect_contains is not None and check.expect_contains not in str(reply):
            raise AssertionError(
                f"{socket.label}: reply does not contain {check.expect_contains!r}: {reply!r}"
            )


def _timeout(config: GateConfig) -> float:
    return config.smoke.request_timeout_s if config.smoke else 10.0
