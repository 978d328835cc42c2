"""The report files: `result.json` (the contract) and `summary.md`, written atomically."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from gate.model import GateResult
from gate.reports.markdown import render_markdown
from gate.reports.resultfile import result_json_chunks


def result_json(result: GateResult) -> str:
    """`result.json` text: exactly `result.to_json()`, key order kept, UTF-8, indent 2."""
    return "".join(result_json_chunks(result))


def write_reports(
    result: GateResult,
    out_dir: Path,
    *,
    run_url: str | None = None,
    secrets: Iterable[str] = (),
) -> dict[str, Path]:
    """Write `result.json` and `summary.md` into `out_dir`; return their paths by name.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"result": out_dir / "result.json", "summary": out_dir / "summary.md"}
    _write(paths["result"], result_json_chunks(result))  # streamed: it can list 100,000 tests
    _write(paths["summary"], [render_markdown(result, run_url=run_url, secrets=secrets)])
    return paths


def remove_reports(out_dir: Path) -> None:
    """Remove an earlier run's `result.json` and `summary.md` from `out_dir`.

    Called before a run and when writing fails: a run that ends without a verdict (an interrupt,
    a usage or internal error) must leave no result behind that `gate publish` could post as its.
    """
    for name in ("result.json", "summary.md"):
        (out_dir / name).unlink(missing_ok=True)


def _write(path: Path, chunks: Iterable[str]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        out.writelines(chunks)
    tmp.replace(path)
