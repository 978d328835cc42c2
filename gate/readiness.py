"""Wait until the target answers before any check runs, and say what was seen when it never did.

A deployment that is still rolling out, a wrong URL and a crashed service all look like "every
check failed" unless readiness is checked first; this module turns them into one reason a
person can act on: connection refused, DNS failure, status N with a body excerpt, or timeout.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from tenacity import Retrying, retry_if_result

from gate.config.checks import ReadinessConfig
from gate.errors import UsageError
from gate.redact import Redactor

# Used when `[readiness]` is absent: the target must answer HTTP (below 500) within 30 s.
DEFAULT_READINESS = ReadinessConfig(path="/", status=0, timeout_s=30.0, interval_s=1.0)
_BODY_EXCERPT = 200
# While waiting, one progress line at most this often: a 120 s wait is never 120 s of silence.
PROGRESS_EVERY_S = 5.0


@dataclass(frozen=True, slots=True)
class Probe:
    """One readiness attempt: did it answer as expected, and what was seen (for a person).

    `short` is the few words of a progress line (`404`, `connection refused`); `status` is the
    HTTP status when there was an answer.
    """

    ready: bool
    seen: str
    short: str = ""
    status: int | None = None
    elapsed_ms: float = 0.0


@dataclass(slots=True)
class ColdStart:
    """How long the target took to become ready, and how long that ready answer took."""

    ready_s: float | None = None
    first_ms: float | None = None
    attempts: int = 0

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "ready_s": None if self.ready_s is None else round(self.ready_s, 3),
            "first_ms": None if self.first_ms is None else round(self.first_ms, 1),
            "attempts": self.attempts,
        }


def validate_target(
    target: str, redactor: Redactor | None = None, *, origin: str | None = None
) -> str:
    """`target` without a trailing slash, or a usage error when it is not an http(s) URL.

    The message quotes the target through `redactor`: one read from `${VAR}` is a secret.
    `origin` says where the value came from (`--target`, `GATE_TARGET_URL`, a config key), so
    the person knows which of the three to fix.
    """
    parts = urlsplit(target.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = (redactor or Redactor())(repr(target))
        source = f" (from {origin})" if origin else ""
        raise UsageError(
            f"target {shown}{source} is not a URL the gate can check: expected http:// or "
            "https:// and a host, e.g. https://staging.example.com"
        )
    return target.strip().rstrip("/")


def wait_ready(
    target: str,
    config: ReadinessConfig | None,
    *,
    headers: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
    progress: Callable[[str], None] | None = None,
    progress_every_s: float | None = None,
    cold_start: ColdStart | None = None,
) -> str | None:
    """Poll until ready: None when the target is ready, else the reason (for result.json).

    `progress` receives a line such as `readiness: GET /health -> 404 (12 s of 120 s)` after
    an attempt that failed, at most every `progress_every_s` seconds (`PROGRESS_EVERY_S`).
    `cold_start`, when given, receives the time until ready and the ready answer's latency.
    """
    config = config or DEFAULT_READINESS
    every = PROGRESS_EVERY_S if progress_every_s is None else progress_every_s
    redact = redactor or Redactor()
    url = target.rstrip("/") + "/" + config.path.lstrip("/")
    started = time.monotonic()
    deadline = started + config.timeout_s
    seen: list[Probe] = []
    last_progress = started

    def attempt(client: httpx.Client) -> Probe:
        nonlocal last_progress
        timeout = max(0.5, min(config.request_timeout_s, deadline - time.monotonic()))
        result = probe(client, url, config.status, timeout, redact)
        seen.append(result)
        now = time.monotonic()
        if progress is not None and not result.ready and now - last_progress >= every:
            last_progress = now
            progress(
                f"readiness: GET {redact(config.path)} -> {result.short} "
                f"({now - started:.0f} s of {config.timeout_s:g} s)"
            )
        return result

    with httpx.Client(headers=dict(headers or {}), follow_redirects=False) as client:
        retrying = Retrying(
            # one deadline for both, so that the last attempt happens at the deadline
            stop=lambda _: time.monotonic() >= deadline - 0.01,
            wait=lambda _: max(0.0, min(config.interval_s, deadline - time.monotonic())),
            retry=retry_if_result(lambda p: not p.ready),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        last: Probe | None = retrying(attempt, client)
    if cold_start is not None:
        cold_start.attempts = len(seen)
    if last is not None and last.ready:
        if cold_start is not None:
            cold_start.ready_s = time.monotonic() - started
            cold_start.first_ms = last.elapsed_ms
        return None
    described = last.seen if last is not None else "no attempt was made"
    want = f"status {config.status}" if config.status else "an HTTP answer below 500"
    attempts = f"{len(seen)} attempt{'s' if len(seen) != 1 else ''}"
    if seen and all(p.status == 404 for p in seen):
        # The service is up; the path is what is wrong. Said first: long reasons get cut.
        answers = "every answer" if len(seen) > 1 else "the answer"
        return (
            f"GET {redact(url)}: {answers} within {config.timeout_s:g} s was 404 ({attempts}): "
            f"the service is up, but readiness.path {config.path!r} is probably wrong; set "
            f'[readiness] path to a path the app serves (e.g. "/"); last seen: {described}'
        )
    return (
        f"GET {redact(url)} did not answer {want} within {config.timeout_s:g} s "
        f"({attempts}, readiness.timeout_s); last seen: {described}"
    )


def probe(client: httpx.Client, url: str, status: int, timeout: float, redact: Redactor) -> Probe:
    """One GET of the readiness URL, classified."""
    try:
        response = client.get(url, timeout=timeout)
    except httpx.TimeoutException:
        return Probe(False, f"no answer within {timeout:g} s (timeout)", "no answer (timeout)")
    except httpx.HTTPError as exc:
        described = describe_error(exc, redact)
        return Probe(False, described, described.split(":", 1)[0].split(" (", 1)[0])
    code = response.status_code
    ok = code == status if status else code < 500
    if ok:
        elapsed_ms = response.elapsed.total_seconds() * 1000
        return Probe(True, f"status {code}", str(code), code, elapsed_ms)
    expected = f"expected {status}" if status else "expected below 500"
    return Probe(
        False, f"status {code} ({expected}), body: {_excerpt(response, redact)}", str(code), code
    )


def describe_error(exc: BaseException, redact: Redactor) -> str:
    """Connection refused, DNS failure, TLS error or the error itself, from the cause chain."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            host = urlsplit(str(getattr(getattr(exc, "request", None), "url", ""))).hostname
            name = f" for {host!r}" if host else ""
            return f"DNS failure: the host name{name} could not be resolved ({cause.strerror})"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (nothing listens on that host and port)"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {redact(str(cause))}"
    return f"{type(exc).__name__}: {redact(str(exc)) or 'no detail'}"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and contexts, and exceptions carried as args (httpcore)."""
    found: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(found) < 20:
        item = todo.pop(0)
        if item in found:
            continue
        found.append(item)
        todo += [e for e in (item.__cause__, item.__context__) if e is not None]
        todo += [a for a in item.args if isinstance(a, BaseException)]
    return found


def _excerpt(response: httpx.Response, redact: Redactor) -> str:
    text = re.sub(r"\s+", " ", response.text).strip()
    if not text:
        return "(empty)"
    text = redact(text)
    return repr(text[:_BODY_EXCERPT] + ("..." if len(text) > _BODY_EXCERPT else ""))


def cold_start_junit(cold: ColdStart, config: ReadinessConfig | None, path: Path) -> bool:
    """Write the cold-start budgets as JUnit testcases (suite `cold_start`) to `path`.

    Returns False (and writes nothing) when no budget is configured.
    """
    if config is None or (config.max_ready_s is None and config.max_first_ms is None):
        return False
    suite = ET.Element("testsuite", name="cold_start")
    cases: list[tuple[str, float | None, float | None, str]] = []
    if config.max_ready_s is not None:
        name = f"ready within {config.max_ready_s:g} s"
        cases.append((name, cold.ready_s, config.max_ready_s, "s"))
    if config.max_first_ms is not None:
        name = f"first answer within {config.max_first_ms:g} ms"
        cases.append((name, cold.first_ms, config.max_first_ms, "ms"))
    for name, value, budget, unit in cases:
        case = ET.SubElement(suite, "testcase", classname="cold_start", name=name, time="0")
        if value is None:
            ET.SubElement(case, "failure", message="the target never became ready")
        elif budget is not None and value > budget:
            shown = f"{value:.1f} {unit}" if unit == "s" else f"{value:.0f} {unit}"
            message = f"{shown}, over the {budget:g} {unit} budget (readiness.{_key(unit)})"
            ET.SubElement(case, "failure", message=message)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in suite if c.find("failure") is not None)))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    return True


def _key(unit: str) -> str:
    return "max_ready_s" if unit == "s" else "max_first_ms"
