"""`launch`, which runs the bundled demo service as a real process for `gate demo`.

`launch(fault=None, token=...)` starts `python -m gate.demo.service` on a free loopback port,
waits for its `listening on URL` line, yields the URL and stops the process on exit. With
`fault="down"` nothing is started: the URL points at a closed port, as for a crashed deploy.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from gate.demo.faults import check_fault
from gate.errors import DemoError

BUNDLED_CONFIG = Path(__file__).with_name("gate.toml")
_LISTENING = "listening on "
_EXIT_WAIT_S = 5.0  # how long a service that closed its output may take to exit


@contextlib.contextmanager
def launch(
    fault: str | None = None,
    token: str | Sequence[str] = "demo-token",  # noqa: S107 (a loopback demo's default)
    *,
    start_timeout_s: float = 20.0,
    queue_s: float | None = None,
) -> Iterator[str]:
    """Run the demo service and yield its base URL (`http://127.0.0.1:PORT`).

    `token` is one token or several (the first is user alice, the second bob, ...).
    """
    fault = check_fault(fault)
    if fault == "down":
        yield f"http://127.0.0.1:{_closed_port()}"
        return
    tokens = [token] if isinstance(token, str) else list(token)
    command = [sys.executable, "-m", "gate.demo.service", "--port", "0"]
    for item in tokens:
        command += ["--token", item]
    if fault:
        command += ["--fault", fault]
    if queue_s is not None:
        command += ["--queue-s", str(queue_s)]
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # Ctrl+C reaches the gate, which then stops the service
        )
        try:
            yield _wait_listening(process, errors, start_timeout_s)
        finally:
            _stop(process)


def _closed_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _wait_listening(process: subprocess.Popen[str], errors: IO[str], timeout_s: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout_s)
        closed = not line  # end of output: the service is exiting
    except queue.Empty:
        line, closed = "", False
    if line.startswith(_LISTENING):
        return line[len(_LISTENING) :].strip()
    if closed:  # its output ends a moment before its exit status can be read: wait for it
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_EXIT_WAIT_S)
    else:
        process.poll()
    errors.seek(0)
    tail = "\n".join(errors.read().strip().splitlines()[-10:])
    state = (
        f"exited with code {process.returncode}"
        if process.returncode is not None
        else f"printed no 'listening on' line within {timeout_s:g} s"
    )
    raise DemoError(f"the demo service did not start: it {state}" + (f":\n{tail}" if tail else ""))


def _stop(process: subprocess.Popen[str], grace_s: float = 5.0) -> None:
    """SIGTERM the service's process group, SIGKILL it after `grace_s`."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
