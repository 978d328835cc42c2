"""The job's own surfaces: masks, warnings, the step summary and the step outputs.

These need no token, so they are written even when every GitHub call failed or was refused
(fork PRs): the step summary is where a degraded publish still shows the verdict.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from gate.model import GateResult
from gate.redact import Redactor
from gate.reports import render_markdown
from gate.reports.escape import md_inline, safe_text
from gate.reports.markdown import MIN_LIMIT
from gate.workflow_io import command, escape_data
from gate.workflow_io import write_outputs as write_outputs  # moved; callers import it here

STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes, per step
MAX_WARNING_COMMANDS = 8  # Actions shows 10 warning annotations per step; leave room for others


def add_masks(values: Iterable[str], stream: TextIO | None = None) -> None:
    """Ask Actions to mask `values` in the log. Printed before anything else is."""
    stream = stream or sys.stdout
    for value in sorted({v for v in values if v and len(v) >= 4}):
        for line in value.splitlines():
            if line.strip():
                print(f"::add-mask::{escape_data(line)}", file=stream)
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
        print(command("warning", warning, title="deploy-gate publish"), file=stream)
    if len(warnings) > len(shown):
        rest = len(warnings) - len(shown)
        more = f"{rest} more publishing warning(s) in the log"
        print(command("warning", more, title="deploy-gate publish"), file=stream)
        for warning in warnings[len(shown) :]:
            print(f"gate publish: warning: {escape_data(warning)}", file=stream)


def write_step_summary(
    path: Path,
    result: GateResult,
    *,
    run_url: str | None,
    notes: list[str],
    secrets: frozenset[str] = frozenset(),
) -> int:
    """Append the report (and publishing notes) to `$GITHUB_STEP_SUMMARY` within 1 MiB total."""
    used = path.stat().st_size if path.exists() else 0
    room = STEP_SUMMARY_LIMIT - used - 4096
    red = Redactor(secrets)
    tail = ""
    if notes:
        items = "\n".join(f"- {md_inline(safe_text(n, 600, red))}" for n in notes[:20])
        tail = f"\n**Publishing notes**\n\n{items}\n"
    if room < MIN_LIMIT + len(tail.encode()):
        text = "\n(deploy-gate: the step summary is full; see gate-results/summary.md)\n"
    else:
        limit = room - len(tail.encode())
        text = render_markdown(result, limit=limit, run_url=run_url, secrets=secrets)
        while len(text.encode()) > limit and limit > MIN_LIMIT:  # characters are not bytes
            limit = max(MIN_LIMIT, limit * 3 // 4)
            text = render_markdown(result, limit=limit, run_url=run_url, secrets=secrets)
        text = text.rstrip("\n") + "\n" + tail
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
    return len(text)
