"""The retry policy on its own: what is transient, what GitHub asked for, the budget."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException

from gate.github.client import Budget, PublishError, Retrier, asked_wait, is_transient


def _exc(status: int, message: str = "x", headers: dict[str, str] | None = None) -> GithubException:
    return GithubException(status, {"message": message}, headers or {})


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (_exc(500), True),
        (_exc(502), True),
        (_exc(429), True),
        (_exc(403, "You have exceeded a secondary rate limit."), True),
        (_exc(403, "API rate limit exceeded for installation"), True),
        (_exc(403, "Resource not accessible by integration"), False),
        (_exc(404, "Not Found"), False),
        (_exc(422, "Validation Failed"), False),
        (requests.exceptions.ConnectionError("refused"), True),
        (requests.exceptions.ReadTimeout("slow"), True),
    ],
)
def test_only_transient_answers_are_retried(exc: Exception, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_retry_after_and_rate_limit_reset_are_honoured() -> None:
    assert asked_wait(_exc(429, headers={"Retry-After": "7"})) == 7.0
    reset = str(int(time.time()) + 30)
    waited = asked_wait(
        _exc(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})
    )
    assert waited is not None
    assert 25 <= waited <= 30
    assert asked_wait(_exc(500)) is None


def test_waits_follow_retry_after_without_sleeping() -> None:
    slept: list[float] = []
    answers = [_exc(429, headers={"Retry-After": "3"}), _exc(503), None]

    def attempt(n: int) -> int:
        answer = answers[n - 1]
        if answer is not None:
            raise answer
        return n

    retrier = Retrier(Budget(60), sleep=slept.append)
    assert retrier.run("thing", attempt) == 3
    assert slept == [3.0, 2.0]  # Retry-After, then exponential backoff for attempt 2


def test_non_transient_error_is_raised_at_once() -> None:
    calls = []

    def attempt(n: int) -> None:
        calls.append(n)
        raise _exc(403, "Resource not accessible by integration")

    with pytest.raises(GithubException):
        Retrier(Budget(60), sleep=lambda _s: None).run("thing", attempt)
    assert calls == [1]


def test_spent_budget_means_not_attempted() -> None:
    spent = Budget(1.0, started=time.monotonic() - 5)
    with pytest.raises(PublishError, match="budget is used up"):
        Retrier(spent).run("thing", lambda _n: None)


def test_attempts_are_capped() -> None:
    def attempt(n: int) -> None:
        raise _exc(500)

    with pytest.raises(PublishError, match="gave up after 6 attempt"):
        Retrier(Budget(600), sleep=lambda _s: None).run("thing", attempt)
