"""The job's own surfaces: masks, warnings, the step summary and the step outputs.

These need no token, so they are written even when every GitHub call failed or was refused
(fork PRs): the step summary is where a degraded publish still shows the verdict.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from gate.github.render import render_markdown
from gate.model import GateResult

STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes, per step
MAX_WARNING_COMMANDS = 8  # Actions shows 10 warning annotations per step; leave room for others


def escape_command(text: str) -> str:
    """Escape a workflow-command message (`%`, CR and LF), so one message stays one command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def add_masks(values: Iterable[str], stream: TextIO | None = None) -> None:
    """Ask Actions to mask `values` in the log. Printed before anything else is."""
    stream = stream or sys.stdout
    for value in sorted({v for v in values if v and len(v) >= 4}):
        for line in value.splitlines():
            if line.strip():
                print(f"::add-mask::{escape_command(line)}", file=stream)
    stream.flush()


def emit_warnings(warnings: list[str], *, in_actions: bool, stream: TextIO | None = None) -> None:
    """Each warning as a `::warning::` in Actions (at most 8, then one summary), else plain."""
    stream = stream or sys.stderr
    if not in_actions:
        for warning in warnings:
            print(f"gate publish: warning: {warning}", file=stream)
        return
    shown = warnings[:MAX_WARNING_COMMANDS]
    for warning in shown:
        print(f"::warning title=deploy-gate publish::{escape_command(warning)}", file=stream)
    if len(warnings) > len(shown):
        rest = len(warnings) - len(shown)
        print(
            f"::warning title=deploy-gate publish::{rest} more publishing warning(s) in the log",
            file=stream,
        )
        for warning in warnings[len(shown) :]:
            print(f"gate publish: warning: {warning}", file=stream)


def write_step_summary(
    path: Path, result: GateResult, *, run_url: str | None, notes: list[str]
) -> int:
    """Append the report (and publishing notes) to `$GITHUB_STEP_SUMMARY` within 1 MiB total."""
    used = path.stat().st_size if path.exists() else 0
    room = STEP_SUMMARY_LIMIT - used - 4096
    tail = ""
    if notes:
        tail = "\n**Publishing notes**\n\n" + "\n".join(f"- {_plain(n)}" for n in notes) + "\n"
        tail = tail[:8192]
    if room <= 1024:
        text = "\n(deploy-gate: the step summary is full; see gate-results/summary.md)\n"
    else:
        limit = room - len(tail.encode())
        text = render_markdown(result, limit=limit, run_url=run_url)
        while len(text.encode()) > limit and limit > 1024:  # characters are not bytes
            limit = limit * 3 // 4
            text = render_markdown(result, limit=limit, run_url=run_url)
        text += tail
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    return len(text)


def _plain(text: str) -> str:
    """Publishing notes may quote GitHub's answers: no HTML, no mentions."""
    text = " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("@", "@\u200b")


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append `name<<DELIM ... DELIM` blocks: safe for values with newlines or `=`."""
    with path.open("a", encoding="utf-8") as fh:
        for name, value in outputs.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            fh.write(f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}")
