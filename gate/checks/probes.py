"""HTTP smoke probes: endpoint, security headers, CORS preflight, http -> https redirect.

Each probe raises `AssertionError` with every problem it found in one sentence (status, latency,
content, headers), so one JUnit message says all that is wrong with an endpoint.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import httpx

from gate.checks.client import describe_network_error
from gate.checks.match import excerpt, response_json, subset_mismatch
from gate.config.checks import CorsCheck, HttpCheck, RedirectCheck, SecurityHeadersCheck

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})


def send(client: httpx.Client, method: str, url: str, **kwargs: object) -> httpx.Response:
    """One request; a network failure becomes an assertion saying what happened."""
    try:
        return client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise AssertionError(f"{method} {url}: {describe_network_error(exc)}") from None


def check_http(client: httpx.Client, check: HttpCheck) -> None:
    response = send(
        client,
        check.method.upper(),
        check.path,
        json=check.json_body,
        headers=check.headers or None,
    )
    problems = endpoint_problems(
        response,
        status=[check.status],
        max_ms=check.max_ms,
        expect_json=check.expect_json,
        contains=check.contains,
        what=f"{check.method.upper()} {check.path}",
    )
    problems += header_problems(response, check.expect_headers)
    if problems:
        raise AssertionError(f"{check.method.upper()} {check.path}: " + "; ".join(problems))


def endpoint_problems(
    response: httpx.Response,
    *,
    status: list[int] | None,
    max_ms: float | None = None,
    expect_json: object = None,
    contains: str | None = None,
    what: str,
) -> list[str]:
    """Everything wrong with one response; `status=None` accepts any 2xx."""
    problems: list[str] = []
    ok = response.is_success if status is None else response.status_code in status
    if not ok:
        wanted = "2xx" if status is None else " or ".join(str(s) for s in status)
        problems.append(
            f"status {response.status_code}, expected {wanted} "
            f"(body: {excerpt(response.text, 160)!r})"
        )
    elapsed_ms = response.elapsed.total_seconds() * 1000
    if max_ms is not None and elapsed_ms > max_ms:
        problems.append(f"took {elapsed_ms:.0f} ms, over the {max_ms:g} ms budget")
    if expect_json is not None and ok:
        try:
            mismatch = subset_mismatch(expect_json, response_json(response, what))
        except AssertionError as exc:
            mismatch = str(exc).removeprefix(f"{what}: ")
        if mismatch:
            problems.append(f"JSON mismatch: {mismatch}")
    if contains is not None and contains not in response.text:
        problems.append(
            f"body does not contain {contains!r} (body: {excerpt(response.text, 160)!r})"
        )
    return problems


def header_problems(response: httpx.Response, expected: dict[str, str | None]) -> list[str]:
    """Required headers: a value of `None` (or "") means "present", otherwise equal."""
    problems = []
    for name, value in expected.items():
        found = response.headers.get(name)
        if found is None:
            problems.append(f"header {name} missing")
        elif value and found != value:
            problems.append(f"header {name} is {found!r}, expected {value!r}")
    return problems


def check_security_headers(client: httpx.Client, check: SecurityHeadersCheck) -> None:
    response = send(client, "GET", check.path)
    missing = [name for name in check.headers if name not in response.headers]
    if missing:
        raise AssertionError(
            f"GET {check.path}: missing security header(s) {', '.join(missing)} "
            f"(status {response.status_code})"
        )


def check_cors(client: httpx.Client, check: CorsCheck) -> None:
    headers = {"Origin": check.origin, "Access-Control-Request-Method": check.method.upper()}
    if check.request_headers:
        headers["Access-Control-Request-Headers"] = ", ".join(check.request_headers)
    response = send(client, "OPTIONS", check.path, headers=headers)
    problems = cors_problems(response, check)
    what = f"CORS preflight OPTIONS {check.path} from {check.origin}"
    if check.allowed and problems:
        raise AssertionError(f"{what}: not allowed: " + "; ".join(problems))
    if not check.allowed and not problems:
        raise AssertionError(f"{what}: allowed, but this origin must be refused")


def cors_problems(response: httpx.Response, check: CorsCheck) -> list[str]:
    """Why a browser would refuse the preflight (empty when it would allow it)."""
    problems = []
    if not response.is_success:
        problems.append(f"status {response.status_code}")
    origin = response.headers.get("access-control-allow-origin")
    if origin not in (check.origin, "*"):
        problems.append(f"Access-Control-Allow-Origin is {origin!r}, expected {check.origin!r}")
    methods = _tokens(response.headers.get("access-control-allow-methods"))
    method = check.method.upper()
    if method not in _SIMPLE_METHODS and not ({method.lower(), "*"} & methods):
        problems.append(f"method {method} not in Access-Control-Allow-Methods")
    allowed_headers = _tokens(response.headers.get("access-control-allow-headers"))
    for name in check.request_headers:
        if "*" not in allowed_headers and name.lower() not in allowed_headers:
            problems.append(f"request header {name} not in Access-Control-Allow-Headers")
    return problems


def check_https_redirect(client: httpx.Client, base_url: str, check: RedirectCheck) -> None:
    target = urlsplit(base_url)
    url = check.http_url or urlunsplit(
        ("http", target.hostname or "", target.path.rstrip("/") + check.path, "", "")
    )
    response = send(client, "GET", url)
    location = response.headers.get("location", "")
    if response.status_code not in _REDIRECTS:
        raise AssertionError(
            f"GET {url}: status {response.status_code}, expected a redirect (301/308) to https"
        )
    moved = urlsplit(location)
    if moved.scheme != "https":
        raise AssertionError(f"GET {url}: redirects to {location!r}, which is not https")
    if moved.hostname != target.hostname:
        raise AssertionError(
            f"GET {url}: redirects to host {moved.hostname!r}, expected {target.hostname!r}"
        )


def _tokens(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}
