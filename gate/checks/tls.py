"""The TLS smoke check: chain valid, hostname matching, enough days before expiry.

It uses the standard `ssl` module against the system trust store (or `ca_file`), so the check
trusts exactly what a client on this machine would trust, and OpenSSL's own words
("certificate has expired", "Hostname mismatch", "self-signed certificate") reach the report.
"""

from __future__ import annotations

import socket
import ssl
import time
from urllib.parse import urlsplit

from gate.config.checks import TlsCheck

_DAY_S = 86_400


def check_tls(base_url: str, check: TlsCheck, *, timeout_s: float = 10.0) -> float:
    """Connect and verify; returns the days left. Raises `AssertionError` with the reason."""
    parts = urlsplit(base_url)
    if parts.scheme != "https":
        raise AssertionError(
            f"TLS check needs an https target, the target is {base_url!r}; "
            "remove [smoke.tls] or gate the https URL"
        )
    host = parts.hostname or ""
    port = parts.port or 443
    where = f"TLS {host}:{port}"
    context = ssl.create_default_context(cafile=check.ca_file)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert()
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or str(exc)
        raise AssertionError(f"{where}: certificate not trusted: {reason}") from None
    except ssl.SSLError as exc:
        raise AssertionError(f"{where}: TLS handshake failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise AssertionError(f"{where}: no TLS handshake within {timeout_s:g} s") from None
    except OSError as exc:
        raise AssertionError(f"{where}: cannot connect ({exc.strerror or exc})") from None
    not_after = str((cert or {}).get("notAfter", ""))
    if not not_after:
        raise AssertionError(f"{where}: the server sent no certificate expiry date")
    days = (ssl.cert_time_to_seconds(not_after) - time.time()) / _DAY_S
    if days < check.min_days:
        raise AssertionError(
            f"{where}: certificate expires in {days:.1f} days ({not_after}), "
            f"minimum is {check.min_days} days"
        )
    return days
