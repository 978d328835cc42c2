"""The lean HTTP/1.1 client against a real socket server sending exact bytes."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme
from stress_support import ok, serve, stress_config

from gate.stress import run_stress
from gate.stress.h1 import Pool, ProtocolError, ServerClosed, encode_request
from gate.stress.http import error_kind


@contextmanager
def canned(*responses: bytes, close_after: bool = False) -> Iterator[tuple[str, list[bytes]]]:
    """A loopback server answering each request (one per connection read) with the next reply."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    seen: list[bytes] = []
    replies = list(responses)

    def serve() -> None:
        while replies:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while replies:
                    data = conn.recv(65536)
                    if not data:
                        break
                    seen.append(data)
                    conn.sendall(replies.pop(0))
                    if close_after:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    finally:
        server.close()
        thread.join(5)


def _send(url: str, *requests: tuple[str, str], timeout_s: float = 5.0) -> list[int | str]:
    async def main() -> list[int | str]:
        pool = Pool(url, timeout_s)
        out: list[int | str] = []
        try:
            for method, path in requests:
                try:
                    out.append(
                        await pool.send(
                            encode_request(method, url + path, {}, None), method == "HEAD"
                        )
                    )
                except Exception as exc:
                    out.append(error_kind(exc))
        finally:
            await pool.close()
        return out

    return asyncio.run(main())


def test_request_bytes() -> None:
    wire = encode_request("POST", "http://h:8080/a/b?x=1", {"Authorization": "Bearer t"}, b"{}")
    assert wire == (
        b"POST /a/b?x=1 HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: deploy-gate-stress\r\n"
        b"Authorization: Bearer t\r\nContent-Length: 2\r\n\r\n{}"
    )


def test_content_length_and_keep_alive_reuse() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    with canned(reply, reply.replace(b"200 OK", b"404 Not Found")) as (url, seen):
        assert _send(url, ("GET", "/"), ("GET", "/x")) == [200, 404]
    assert len(seen) == 2
    assert seen[1].startswith(b"GET /x HTTP/1.1\r\n")


def test_chunked_body_with_trailer_and_interim_response() -> None:
    reply = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;ext=1\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    follow = b"HTTP/1.1 204 No Content\r\n\r\n"
    with canned(reply, follow) as (url, _):
        assert _send(url, ("POST", "/"), ("DELETE", "/")) == [201, 204]


def test_body_until_close_and_head() -> None:
    with canned(b"HTTP/1.0 200 OK\r\n\r\nall of it", close_after=True) as (url, _):
        assert _send(url, ("GET", "/")) == [200]
    with canned(b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n") as (url, _):
        assert _send(url, ("HEAD", "/")) == [200]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "bad response"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "bad response"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "reset"),
    ],
)
def test_broken_responses_are_errors_by_kind(reply: bytes, kind: str) -> None:
    with canned(reply, close_after=True) as (url, _):
        assert _send(url, ("GET", "/")) == [kind]


def test_no_response_is_a_timeout() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        assert _send(url, ("GET", "/"), timeout_s=0.3) == ["timeout"]
    finally:
        server.close()


def test_error_classes() -> None:
    assert error_kind(ConnectionRefusedError()) == "connect refused"
    assert error_kind(socket.gaierror(-2, "Name or service not known")) == "dns"
    assert error_kind(ServerClosed()) == "reset"
    assert error_kind(ProtocolError("x")) == "bad response"
    assert error_kind(TimeoutError()) == "timeout"


def test_https_through_the_lean_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    with serve({"GET /": ok}, ssl_context=server_ctx) as url:
        https = url.replace("http://", "https://")
        # Not trusted yet: every request is a TLS error, and the run says so.
        untrusted = run_stress(
            stress_config(rate=200, duration_s=5, workers=1),
            target=https,
            out_dir=tmp_path / "a",
            secrets=frozenset(),
            progress=False,
        )
        assert "tls" in (untrusted.summary.aborted or "")
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        trusted = run_stress(
            stress_config(rate=50, duration_s=0.5, workers=1),
            target=https,
            out_dir=tmp_path / "b",
            secrets=frozenset(),
            progress=False,
        )
    assert trusted.summary.status_counts == {"200": 25}
