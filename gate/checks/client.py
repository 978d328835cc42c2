"""HTTP clients for checks: bound to the target, authenticated, retrying only network errors.

A retry is never silent: every retried attempt is handed to `on_retry`, and the plugin reports a
test that passed only after one as flaky. Retries cover what the network did (refused, reset,
closed before answering); a slow answer or a 500 is the service's answer and is never retried.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from gate.config import GateConfig
from gate.errors import ConfigError

DEFAULT_TIMEOUT_S = 10.0
NETWORK_ATTEMPTS = 3
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

RetryLog = Callable[[str], None]


def auth_headers(config: GateConfig, identity: str | None = None) -> dict[str, str]:
    """`Authorization: Bearer ...` plus the extra headers of `[auth]` or of one identity."""
    if identity is None:
        bearer, extra = config.auth.bearer, config.auth.headers
    else:
        found = config.auth.identities.get(identity)
        if found is None:
            known = ", ".join(sorted(config.auth.identities)) or "none configured"
            raise ConfigError(
                f"{config.source}: identity '{identity}' is not in [auth.identities] ({known})"
            )
        bearer, extra = found.bearer, found.headers
    # `bearer` is the token; a value with a space is taken as the whole header ("Token abc").
    value = bearer if bearer and " " in bearer.strip() else f"Bearer {bearer}"
    headers = {"Authorization": value} if bearer else {}
    headers.update(extra)
    return headers


def bearer_token(config: GateConfig, identity: str | None = None) -> str | None:
    if identity is None:
        return config.auth.bearer
    found = config.auth.identities.get(identity)
    return found.bearer if found else None


def make_client(
    base_url: str,
    headers: Mapping[str, str],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_retry: RetryLog | None = None,
    verify: bool | str = True,
) -> httpx.Client:
    """An `httpx.Client` for `base_url` whose transport retries network-level failures."""
    transport = RetryTransport(httpx.HTTPTransport(verify=verify), on_retry=on_retry)
    return httpx.Client(
        base_url=base_url,
        headers=dict(headers),
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        transport=transport,
        follow_redirects=False,
    )


class RetryTransport(httpx.BaseTransport):
    """Retries a request whose connection failed before any answer arrived.

    Connect failures are retried for every method (nothing reached the server); a connection
    reset or closed before the response only for idempotent methods, so a POST is never doubled.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        attempts: int = NETWORK_ATTEMPTS,
        on_retry: RetryLog | None = None,
    ) -> None:
        self._inner = inner
        self._attempts = attempts
        self._on_retry = on_retry

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        def retryable(exc: BaseException) -> bool:
            return _is_network_error(exc, request.method)

        def log(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if self._on_retry is not None:
                self._on_retry(
                    f"{request.method} {request.url.path}: attempt {state.attempt_number} "
                    f"failed with {describe_network_error(exc)}; retried"
                )

        retrying = Retrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            retry=retry_if_exception(retryable),
            before_sleep=log,
            reraise=True,
        )
        response: httpx.Response = retrying(self._inner.handle_request, request)
        return response

    def close(self) -> None:
        self._inner.close()


def _is_network_error(exc: BaseException, method: str) -> bool:
    if _is_tls_error(exc):
        return False  # an untrusted certificate stays untrusted: no retry
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return True
    reset = isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError)
    return reset and method.upper() in _IDEMPOTENT


def _is_tls_error(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, ssl.SSLError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def describe_network_error(exc: BaseException | None) -> str:
    """`connection refused`, `timed out after ...`: the words a person needs, no traceback."""
    if exc is None:
        return "no error"
    text = str(exc) or type(exc).__name__
    if _is_tls_error(exc):
        return f"TLS error ({text})"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout ({text})"
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout waiting for the response ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        lowered = text.lower()
        if "refused" in lowered:
            return "connection refused"
        if "name or service" in lowered or "nodename" in lowered or "getaddrinfo" in lowered:
            return f"DNS failure ({text})"
        return f"connect error ({text})"
    return f"{type(exc).__name__} ({text})"
