"""TLS and http -> https checks against real TLS servers on loopback, with certificates made in
the test: trusted (trustme CA), expired, for another host, self-signed, about to expire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web
from servers.app import serve
from servers.junit import run_pytest
from servers.tls import days, leaf, server_context, trustme_context

from gate.checks import pytest_targets
from gate.checks.client import make_client
from gate.checks.probes import check_http, check_https_redirect
from gate.checks.tls import check_tls
from gate.config import load_config
from gate.config.checks import HttpCheck, RedirectCheck, TlsCheck


async def _hello_handler(request: web.Request) -> web.Response:
    return web.Response(text="hello")


def _hello() -> web.Application:
    app = web.Application()
    app.router.add_get("/", _hello_handler)
    return app


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def valid_url(ca: trustme.CA) -> Iterator[str]:
    with serve(_hello(), trustme_context(ca, "127.0.0.1")) as url:
        yield url


def _serve_leaf(cert: tuple[bytes, bytes], tmp: Path, name: str) -> Iterator[str]:
    with serve(_hello(), server_context(*cert, tmp, name)) as url:
        yield url


def test_valid_chain_passes_and_reports_days(valid_url: str, ca_file: str) -> None:
    remaining = check_tls(valid_url, TlsCheck(min_days=14, ca_file=ca_file))
    assert remaining > 14


def test_untrusted_without_the_ca(valid_url: str) -> None:
    with pytest.raises(AssertionError, match="certificate not trusted"):
        check_tls(valid_url, TlsCheck())


def test_expired(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    cert = leaf(ca, "127.0.0.1", not_before=days(-30), not_after=days(-2))
    for url in _serve_leaf(cert, tmp_path, "expired"):
        with pytest.raises(AssertionError, match="certificate has expired"):
            check_tls(url, TlsCheck(ca_file=ca_file))


def test_wrong_host(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    cert = leaf(ca, "staging.example.org", not_before=days(-1), not_after=days(90))
    for url in _serve_leaf(cert, tmp_path, "wronghost"):
        with pytest.raises(AssertionError, match="mismatch"):
            check_tls(url, TlsCheck(ca_file=ca_file))


def test_self_signed(ca_file: str, tmp_path: Path) -> None:
    cert = leaf(None, "127.0.0.1", not_before=days(-1), not_after=days(90))
    for url in _serve_leaf(cert, tmp_path, "selfsigned"):
        with pytest.raises(AssertionError, match="self-signed certificate"):
            check_tls(url, TlsCheck(ca_file=ca_file))


def test_expiring_soon(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    cert = leaf(ca, "127.0.0.1", not_before=days(-80), not_after=days(5))
    for url in _serve_leaf(cert, tmp_path, "soon"):
        with pytest.raises(AssertionError, match=r"expires in [45]\.\d days .* minimum is 14 days"):
            check_tls(url, TlsCheck(ca_file=ca_file, min_days=14))


def test_plain_http_target_is_refused() -> None:
    with pytest.raises(AssertionError, match="needs an https target"):
        check_tls("http://127.0.0.1:1", TlsCheck())


def _redirecting(location: str) -> web.Application:
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(location + request.path)

    app = web.Application()
    app.router.add_get("/{tail:.*}", redirect)
    return app


def test_http_redirects_to_https(valid_url: str) -> None:
    with serve(_redirecting(valid_url)) as http_url, make_client(valid_url, {}) as client:
        check_https_redirect(client, valid_url, RedirectCheck(http_url=http_url + "/login"))


def test_redirect_to_plain_http_fails(valid_url: str) -> None:
    with (
        serve(_redirecting("http://127.0.0.1:9")) as http_url,
        make_client(http_url, {}) as client,
        pytest.raises(AssertionError, match=r"redirects to 'http://127\.0\.0\.1:9/', which is"),
    ):
        check_https_redirect(client, valid_url, RedirectCheck(http_url=http_url + "/"))


def test_tls_check_in_the_junit_of_a_real_run(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text(f'[smoke.tls]\nmin_days = 400\nca_file = "{ca_file}"\npriority = "p2"\n')
    cert = leaf(ca, "127.0.0.1", not_before=days(-1), not_after=days(90))
    for url in _serve_leaf(cert, tmp_path, "ninety"):
        run = run_pytest(
            pytest_targets("smoke", load_config(config, env={})),
            tmp_path,
            target=url,
            config=config,
        )
    case = run.case("TLS certificate valid for at least 400 days")
    assert case.classname == "smoke.tls"
    assert case.outcome == "failure"
    assert "minimum is 400 days" in case.message
    assert case.properties == {"priority": "p2"}


def test_http_check_against_an_untrusted_certificate_is_not_retried(valid_url: str) -> None:
    retries: list[str] = []
    check = HttpCheck(path="/")
    with (
        make_client(valid_url, {}, on_retry=retries.append) as client,
        pytest.raises(AssertionError, match=r"GET /: TLS error \(.*CERTIFICATE_VERIFY_FAILED"),
    ):
        check_http(client, check)
    assert retries == []
