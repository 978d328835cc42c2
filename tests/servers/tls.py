"""Certificates for the TLS check's tests: a trusted CA (trustme) and leaves that are valid,
expired, for the wrong host, or self-signed (made with `cryptography`, which trustme uses)."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def server_context(cert_pem: bytes, key_pem: bytes, tmp: Path, name: str) -> ssl.SSLContext:
    cert_file, key_file = tmp / f"{name}.crt", tmp / f"{name}.key"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def trustme_context(ca: trustme.CA, host: str) -> ssl.SSLContext:
    """A server context with a leaf for `host` signed by `ca` (valid for about a year)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(host).configure_cert(context)
    return context


def leaf(
    ca: trustme.CA | None,
    host: str,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> tuple[bytes, bytes]:
    """A leaf certificate for `host` with the given validity, signed by `ca` (or by itself)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    if ca is None:
        issuer, signing_key = subject, key
    else:
        ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
        issuer = ca_cert.subject
        signing_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
    san = x509.SubjectAlternativeName(
        [x509.IPAddress(__import__("ipaddress").ip_address(host))]
        if host[0].isdigit()
        else [x509.DNSName(host)]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(signing_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def days(n: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=n)
