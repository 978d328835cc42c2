"""Reports: `result.json`, `summary.md` and the terminal summary, all from one `GateResult`.

Placeholder implementation (issue 2 replaces it); the two functions below are the interface the
pipeline calls.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from gate.model import GateResult


def write_reports(result: GateResult, out_dir: Path) -> dict[str, Path]:
    """Write `result.json` and `summary.md` into `out_dir`; return their paths by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"result": out_dir / "result.json", "summary": out_dir / "summary.md"}
    paths["result"].write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    paths["summary"].write_text(f"verdict: {result.verdict}\n", encoding="utf-8")
    return paths


def print_summary(result: GateResult, stream: TextIO | None = None) -> None:
    """Print the terminal summary (rich table on a TTY, plain text otherwise)."""
    stream = stream or sys.stdout
    print(f"verdict: {result.verdict} ({result.outcome})", file=stream)
