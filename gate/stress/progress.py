"""The live progress line: rate, p95, errors, elapsed/total.

On a TTY it is one line redrawn in place at most 4 times a second; elsewhere (CI logs) a plain
line every 5 seconds, so a log is readable and not flooded.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

TTY_EVERY_S = 0.25
LOG_EVERY_S = 5.0


class Progress:
    def __init__(self, total_s: float, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and self.stream.isatty()
        self.total_s = total_s
        self._last = 0.0
        self._drawn = False

    def update(
        self,
        *,
        elapsed_s: float,
        rate: float,
        p95_ms: float | None,
        errors: int,
        requests: int,
        force: bool = False,
    ) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < (TTY_EVERY_S if self.tty else LOG_EVERY_S):
            return
        self._last = now
        line = format_line(elapsed_s, self.total_s, rate, p95_ms, errors, requests)
        if self.tty:
            self.stream.write(f"\r\x1b[2K{line}")
            self._drawn = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def format_line(
    elapsed_s: float, total_s: float, rate: float, p95_ms: float | None, errors: int, requests: int
) -> str:
    p95 = "-" if p95_ms is None else f"{p95_ms:.1f} ms"
    return (
        f"stress {min(elapsed_s, total_s):5.1f}/{total_s:.0f} s  {rate:8.1f} req/s  "
        f"p95 {p95}  errors {errors}/{requests}"
    )
