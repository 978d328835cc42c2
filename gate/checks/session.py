"""One check run's connections: identities (static or logged in), clients, sockets, secrets.

A login identity (`[auth.identities.NAME.login]`) logs in once per check process, the first time
a check asks for it, from any thread; every check that uses it afterwards gets the same token, and
a login that failed fails every check of that identity with the same reason (status and a body
excerpt) instead of sending a single request as that user. Tokens obtained this way and captured
secrets are added to `Secrets`, which the plugin's redaction reads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx

from gate.checks.client import RetryLog, auth_headers, make_client
from gate.checks.match import Missing, excerpt, extract, response_json
from gate.checks.probes import send
from gate.checks.ws import WebSocket, open_socket, ws_url
from gate.config import GateConfig
from gate.config.checks import Login
from gate.redact import Redactor

WsAuth = Literal["header", "query", "none"]


class LoginFailed(AssertionError):
    """An identity's login did not give a token; every check as that identity fails with it."""


class Secrets:
    """Values to mask, growing while checks run (login tokens, secret captures); thread-safe."""

    def __init__(self, initial: Iterable[str] = ()) -> None:
        self._values = {v for v in initial if v}
        self._lock = threading.Lock()
        self._redactor: Redactor | None = None

    def add(self, value: object) -> None:
        text = value if isinstance(value, str) else str(value)
        if not text or len(text) < 4:
            return
        with self._lock:
            if text not in self._values:
                self._values.add(text)
                self._redactor = None

    def redactor(self) -> Redactor:
        with self._lock:
            if self._redactor is None:
                self._redactor = Redactor(self._values)
            return self._redactor


@dataclass
class CheckSession:
    """The target, the configuration and what was learnt while running (tokens, secrets)."""

    config: GateConfig
    base_url: str
    timeout_s: float
    secrets: Secrets = field(default_factory=lambda: Secrets())
    _tokens: dict[str, str | LoginFailed] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def headers(self, identity: str | None) -> dict[str, str]:
        """The auth headers of `identity` (None: `[auth]`); logs in on first use."""
        found = self.config.auth.identities.get(identity) if identity is not None else None
        if found is None or found.login is None:
            return auth_headers(self.config, identity)
        headers = {"Authorization": f"Bearer {self.token(identity)}"}
        headers.update(found.headers)
        return headers

    def token(self, identity: str | None) -> str | None:
        """The bearer token of `identity`: static, or obtained by its login (once)."""
        if identity is None:
            return self.config.auth.bearer
        found = self.config.auth.identities.get(identity)
        if found is None:
            auth_headers(self.config, identity)  # raises the ConfigError naming the identities
            return None
        if found.login is None:
            return found.bearer
        with self._lock:  # one login per identity, even when flows ask at the same time
            if identity not in self._tokens:
                self._tokens[identity] = self._login(identity, found.login)
            outcome = self._tokens[identity]
        if isinstance(outcome, LoginFailed):
            raise outcome
        return outcome

    def _login(self, identity: str, login: Login) -> str | LoginFailed:
        what = f"login of identity '{identity}' ({login.method.upper()} {login.path})"
        try:
            with make_client(self.base_url, login.headers, timeout_s=self.timeout_s) as client:
                response = send(client, login.method.upper(), login.path, json=login.json_body)
        except AssertionError as exc:
            return LoginFailed(f"{what} failed: {exc}; no check ran as '{identity}'")
        ok = response.status_code == login.status if login.status else response.is_success
        if not ok:
            wanted = str(login.status) if login.status else "2xx"
            return LoginFailed(
                f"{what} answered status {response.status_code}, expected {wanted} "
                f"(body: {excerpt(response.text, 160)!r}); no check ran as '{identity}'"
            )
        assert login.token is not None  # the model requires it
        try:
            token = extract(response_json(response, what), login.token)
        except (AssertionError, Missing) as exc:
            return LoginFailed(f"{what}: no token at {login.token}: {exc}")
        if not isinstance(token, str) or not token:
            return LoginFailed(
                f"{what}: {login.token} is {type(token).__name__}, expected a non-empty string"
            )
        self.secrets.add(token)
        return token

    def client(
        self,
        identity: str | None = None,
        *,
        auth: bool = True,
        timeout_s: float | None = None,
        on_retry: RetryLog | None = None,
    ) -> httpx.Client:
        """An `httpx.Client` for the target with `identity`'s credentials (or none)."""
        headers = self.headers(identity) if auth else {}
        return make_client(
            self.base_url, headers, timeout_s=timeout_s or self.timeout_s, on_retry=on_retry
        )

    def socket(
        self,
        path: str,
        identity: str | None = None,
        auth: WsAuth = "header",
        query_param: str = "token",
        *,
        headers: Mapping[str, str] | None = None,
        open_timeout_s: float = 10.0,
    ) -> WebSocket:
        """A connected WebSocket; `auth="query"` sends the token as `?query_param=...`."""
        sent: dict[str, str] = {}
        query: dict[str, str] = {}
        if auth == "header":
            sent = self.headers(identity)
        elif auth == "query":
            token = self.token(identity)
            query = {query_param: token} if token else {}
        sent.update(headers or {})
        url = ws_url(self.base_url, path, query)
        return open_socket(url, f"WS {path}", headers=sent, open_timeout_s=open_timeout_s)
