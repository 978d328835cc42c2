"""`httpbin` (PyPI) served by gunicorn, a real third-party WSGI server, on a free port."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


@contextmanager
def httpbin_server(timeout_s: float = 30.0) -> Iterator[str]:
    """Start `gunicorn httpbin:app` on 127.0.0.1:0 and yield its base URL."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--access-logfile",
            "-",
            "httpbin:app",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _wait_for_url(proc, timeout_s)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for_url(proc: subprocess.Popen[str], timeout_s: float) -> str:
    assert proc.stderr is not None
    end = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < end:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        match = _LISTENING.search(line)
        if match:
            _drain(proc)
            return match.group(1)
    raise RuntimeError("gunicorn did not start httpbin:\n" + "".join(seen))


def _drain(proc: subprocess.Popen[str]) -> None:
    """Keep reading gunicorn's stderr so a full pipe never blocks it."""
    import threading

    def read() -> None:
        assert proc.stderr is not None
        for _ in proc.stderr:
            pass

    threading.Thread(target=read, daemon=True).start()
