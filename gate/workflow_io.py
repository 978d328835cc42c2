"""GitHub Actions' two channels, written safely: workflow commands on stdout, step outputs in
`$GITHUB_OUTPUT`. Shared by the reports (annotations), the publishers and the action's steps.

Kept free of heavy imports on purpose: each action step is a fresh `python -m gate.action`, and
importing the reports package (rich) or the publishers (PyGithub) only to write one output line
cost 0.6 s and 3 s on the loaded development machine (see `gate/action.py`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

ZWJ = "\u200d"


def no_log_commands(text: str) -> str:
    """Disarm GitHub Actions log commands in text printed to a CI log.

    The runner reads `::name::` at the start of a line (after leading spaces) and the legacy
    `##[name]` anywhere in a line; untrusted text is never printed at a line start, and `##[`
    gets a zero-width joiner.
    """
    text = text.replace("##[", "##" + ZWJ + "[")
    stripped = text.lstrip()
    if stripped.startswith("::"):
        text = ":" + ZWJ + stripped[1:]
    return text


def escape_data(text: str) -> str:
    """Escape a workflow command's message (the part after the second `::`)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return no_log_commands(text)


def escape_property(text: str) -> str:
    """Escape a workflow command property value (`title=`, `file=`, ...)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line, e.g. `::error title=...::message`, escaped."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value not in (None, "")
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append `name<<DELIM ... DELIM` blocks: safe for values with newlines or `=`."""
    with path.open("a", encoding="utf-8") as fh:
        for name, value in outputs.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            fh.write(f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}")
