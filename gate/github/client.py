"""PyGithub construction and the one retry policy every GitHub call goes through.

PyGithub's defaults do not suit a gate (docs/design.md, "Why"): its `GithubRetry` waits up to ten
minutes on secondary rate limits, retries POST on 5xx (which duplicates comments) and ends in
`requests.exceptions.RetryError` instead of a `GithubException`. So the client is built with
`retry=None` (one HTTP attempt per call) and `lazy=True` (no hidden GET to "complete" objects),
and retrying happens here, with tenacity, under three rules:

- only transient answers are retried: 5xx, 429, a 403 that is a (secondary) rate limit,
  connection errors and timeouts;
- `Retry-After` (or `x-ratelimit-reset` when the primary limit is used up) is honoured;
- everything fits in one publishing budget (`[publish] budget_s`, about 60 s): a wait that would
  overrun it ends the retrying with a `PublishError`, which the caller turns into a warning.

Callers decide what one attempt is. A non-idempotent POST is never retried blindly: its attempt
function lists what exists first (see `comment.py`, `status.py`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException
from tenacity import RetryCallState, Retrying, retry_if_exception

from gate.errors import PublishError

__all__ = ["Budget", "PublishError", "Retrier", "build_github", "message_of"]

T = TypeVar("T")

MAX_ATTEMPTS = 6
MAX_BACKOFF_S = 8.0


@dataclass
class Budget:
    """The total time all publishing may take, shared by every surface."""

    total_s: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return max(0.0, self.total_s - (time.monotonic() - self.started))


def build_github(token: str, api_url: str, *, budget: Budget, write_interval_s: float) -> Github:
    """A PyGithub client with our retry and laziness choices (see the module docstring)."""
    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        timeout=max(1, min(15, math.ceil(budget.total_s))),
        retry=None,
        lazy=True,
        per_page=100,
        seconds_between_requests=None,
        seconds_between_writes=write_interval_s or None,
        user_agent="deploy-gate",
    )


def status_of(exc: BaseException) -> int | None:
    return exc.status if isinstance(exc, GithubException) else None


def message_of(exc: BaseException) -> str:
    """GitHub's own `message` field when there is one, else the exception text."""
    if isinstance(exc, GithubException):
        data = exc.data
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return str(data["message"])
        return exc.message or str(exc.status)
    return f"{type(exc).__name__}: {exc}"


def _header(exc: BaseException, name: str) -> str | None:
    headers = exc.headers if isinstance(exc, GithubException) else None
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def is_rate_limited(exc: BaseException) -> bool:
    if status_of(exc) not in (403, 429):
        return False
    text = message_of(exc).lower()
    return (
        status_of(exc) == 429
        or "rate limit" in text
        or _header(exc, "retry-after") is not None
        or _header(exc, "x-ratelimit-remaining") == "0"
    )


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: the same request may well succeed later."""
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    if isinstance(exc, requests.exceptions.RetryError):
        return True
    status = status_of(exc)
    return status is not None and (status >= 500 or is_rate_limited(exc))


def asked_wait(exc: BaseException) -> float | None:
    """Seconds GitHub asked us to wait (`Retry-After`, or until the primary limit resets)."""
    retry_after = _header(exc, "retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return None
    if _header(exc, "x-ratelimit-remaining") == "0":
        reset = _header(exc, "x-ratelimit-reset")
        if reset is not None and reset.isdigit():
            return max(0.0, int(reset) - time.time())
    return None


class Retrier:
    """Runs attempt functions under the retry policy and the shared budget."""

    def __init__(self, budget: Budget, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.budget = budget
        self._sleep = sleep

    def run(self, what: str, attempt: Callable[[int], T]) -> T:
        """Call `attempt(n)` (n = 1, 2, ...) until it succeeds, fails for good, or time is up.

        Raises `PublishError` naming `what` when retrying ends; non-transient GitHub errors
        (403 permissions, 404, 422) are raised unchanged on the first occurrence.
        """
        if self.budget.remaining() <= 0:
            raise PublishError(f"{what}: not attempted, the publishing budget is used up")
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            wait=self._wait,
            stop=self._stop,
            sleep=self._sleep,
            retry_error_callback=self._give_up(what),
        )
        count = 0

        def once() -> T:
            nonlocal count
            count += 1
            return attempt(count)

        return retrying(once)

    @staticmethod
    def _wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = asked_wait(exc) if exc is not None else None
        backoff = min(MAX_BACKOFF_S, 2.0 ** (state.attempt_number - 1))
        return asked if asked is not None else backoff

    def _stop(self, state: RetryCallState) -> bool:
        return (
            state.attempt_number >= MAX_ATTEMPTS or state.upcoming_sleep >= self.budget.remaining()
        )

    def _give_up(self, what: str) -> Callable[[RetryCallState], Any]:
        def give_up(state: RetryCallState) -> Any:
            exc = state.outcome.exception() if state.outcome else None
            reason = _describe(exc) if exc is not None else "no answer"
            waited = ""
            if state.upcoming_sleep >= self.budget.remaining():
                who = "GitHub asked to wait" if exc and asked_wait(exc) is not None else "waiting"
                waited = (
                    f"; {who} {state.upcoming_sleep:.0f} s more would overrun the "
                    f"{self.budget.total_s:.0f} s publishing budget ([publish] budget_s)"
                )
            raise PublishError(
                f"{what}: gave up after {state.attempt_number} attempt(s): {reason}{waited}"
            ) from exc

        return give_up


def _describe(exc: BaseException) -> str:
    status = status_of(exc)
    if status is None:
        return message_of(exc)
    kind = " (rate limited)" if is_rate_limited(exc) else ""
    return f"GitHub answered {status}{kind}: {message_of(exc)}"
