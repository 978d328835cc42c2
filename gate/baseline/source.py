"""Reading a baseline folder (an earlier `--out`), and the provenance file every run leaves.

A baseline folder holds `result.json`, `stress/histograms.json` when stress ran, and `run.json`
(which run, commit and time produced it; written by `gate run|report|merge`). Anything wrong
with it raises `BaselineError` naming the path and the problem: exit 2 when the user named the
folder, a warning and no comparison when the action found it on its own (`baseline: auto`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gate.errors import BaselineError as BaselineError  # re-exported: its old home
from gate.model import SCHEMA_VERSION, BaselineSource, GateResult
from gate.stress.metrics import Snapshot

RESULT_FILE = "result.json"
HISTOGRAMS = Path("stress") / "histograms.json"
PROVENANCE_FILE = "run.json"


@dataclass(slots=True)
class Baseline:
    result: GateResult
    snapshot: Snapshot | None  # None: the baseline ran no stress (or kept no histograms)
    source: BaselineSource


def load_baseline(folder: Path) -> Baseline:
    """Read `folder`; BaselineError says which file is wrong and how."""
    if not folder.is_dir():
        raise BaselineError(f"baseline {folder}: folder not found (expected an earlier --out)")
    result_path = folder / RESULT_FILE
    if not result_path.is_file():
        raise BaselineError(
            f"baseline {folder}: no {RESULT_FILE}; not a deploy-gate output folder "
            "(point --baseline at the --out folder of an earlier gate run)"
        )
    try:
        data = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"baseline {result_path}: unreadable: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise BaselineError(
            f"baseline {result_path}: expected result.json schema {SCHEMA_VERSION}, found {found!r}"
        )
    try:
        result = GateResult.from_json(data)
    except ValueError as exc:
        raise BaselineError(f"baseline {result_path}: {exc}") from None
    snapshot = None
    histograms = folder / HISTOGRAMS
    if histograms.is_file():
        try:
            snapshot = Snapshot.read(histograms)
        except ValueError as exc:
            raise BaselineError(
                f"baseline {histograms}: corrupt stress histograms: {exc}"
            ) from None
    source = _provenance(folder)
    source.verdict = str(result.verdict)
    return Baseline(result, snapshot, source)


def _provenance(folder: Path) -> BaselineSource:
    path = folder / PROVENANCE_FILE
    source = BaselineSource(path=str(folder))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    source.run_url = _text(data.get("run_url"))
    source.sha = _text(data.get("sha"))
    source.time = _text(data.get("time"))
    if source.time is None and (folder / RESULT_FILE).is_file():
        mtime = (folder / RESULT_FILE).stat().st_mtime
        source.time = datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")
    return source


def _text(value: object) -> str | None:
    return value[:300] if isinstance(value, str) and value else None


def write_provenance(out_dir: Path, env: dict[str, str] | None = None) -> Path:
    """`out_dir/run.json`: the run, commit and time of this output (a later run's baseline)."""
    env = dict(os.environ) if env is None else env
    server, repo, run_id = (
        env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    data = {
        "run_url": f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None,
        "sha": env.get("GATE_SHA") or env.get("GITHUB_SHA") or None,
        "environment": env.get("GATE_ENVIRONMENT") or None,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = out_dir / PROVENANCE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
