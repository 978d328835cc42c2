"""`[[smoke.rate_limit]]`: a burst of requests must meet the rate limit (a 429).

The seeds checked this by hand with a loop in a pytest file; here it is one testcase whose
failure says how many requests were sent in how long and what they were answered, e.g.
`sent 50 requests in 0.8 s, none answered 429 (200 x50)`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import httpx

from gate.checks.probes import send
from gate.config.checks import RateLimitCheck


class _Burst:
    """The shared state of one burst: stop at the first limited answer or the deadline."""

    def __init__(self, check: RateLimitCheck) -> None:
        self.check = check
        self.deadline = time.monotonic() + check.within_s
        self.statuses: Counter[str] = Counter()
        self.limited: httpx.Response | None = None
        self.bad_retry_after: list[str] = []
        self.sent = 0
        self._lock = threading.Lock()

    def done(self) -> bool:
        return self.limited is not None or time.monotonic() >= self.deadline

    def one(self, client: httpx.Client) -> None:
        with self._lock:
            if self.done():
                return
            self.sent += 1
        try:
            response = send(
                client,
                self.check.method.upper(),
                self.check.path,
                json=self.check.json_body,
                headers=self.check.headers or None,
            )
        except AssertionError as exc:  # a refused connection is an answer worth naming
            with self._lock:
                self.statuses[str(exc).split(": ", 1)[-1]] += 1
            return
        with self._lock:
            self.statuses[str(response.status_code)] += 1
            if response.status_code != self.check.status:
                return
            problem = _retry_after_problem(response) if self.check.retry_after else None
            if problem is None:
                self.limited = response
            elif len(self.bad_retry_after) < 3:
                self.bad_retry_after.append(problem)


def check_rate_limit(client: httpx.Client, check: RateLimitCheck) -> str:
    """Send up to `check.requests` requests within `check.within_s`; pass at the first limit."""
    burst = _Burst(check)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=check.concurrency) as pool:
        for _ in range(check.requests):
            pool.submit(burst.one, client)
    took = time.monotonic() - started
    what = f"{check.method.upper()} {check.path}"
    answered = ", ".join(f"{status} x{n}" for status, n in burst.statuses.most_common())
    if burst.limited is not None:
        return f"{what}: limited after {burst.sent} requests in {took:.1f} s ({answered})"
    if burst.bad_retry_after:
        raise AssertionError(
            f"{what}: answered {check.status}, but {burst.bad_retry_after[0]} "
            f"(sent {burst.sent} requests in {took:.1f} s: {answered})"
        )
    cut = (
        ""
        if burst.sent >= check.requests
        else (f" (the {check.within_s:g} s window ran out after {burst.sent} of {check.requests})")
    )
    raise AssertionError(
        f"{what}: sent {burst.sent} requests in {took:.1f} s, none answered {check.status} "
        f"({answered or 'no answers'}){cut}: the rate limit is not enforced"
    )


def _retry_after_problem(response: httpx.Response) -> str | None:
    """None when `Retry-After` is seconds or an HTTP date (RFC 9110 10.2.3)."""
    value = response.headers.get("retry-after")
    if value is None:
        return "without a Retry-After header"
    if value.strip().isdigit():
        return None
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return f"Retry-After is {value[:40]!r}, neither seconds nor an HTTP date"
    return None
