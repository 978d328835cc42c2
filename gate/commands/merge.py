"""`gate merge DIR... --out DIR`: one verdict from the outputs of several shards.

Each DIR is a `gate run` / `gate report` output directory (`result.json`, `junit/`, and
`stress/histograms.json` when stress ran). The suites' JUnit files are read together (a test
that ran in two shards is folded like a rerun); the stress histograms are merged losslessly and
the thresholds judged again on the merged data; then the policy decides as for one run.
A shard whose run did not complete (a suite crashed, timed out or did not run there; stress
included when it left no data) keeps that outcome: merging never turns a missing result into
a pass.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

from gate.config import load_config
from gate.errors import UsageError
from gate.model import GateResult, RunStatus, SuiteRun
from gate.pipeline import (
    MERGED_NAME,
    against_baseline,
    decide,
    emit,
    open_baseline,
    stress_data,
    suite_file_stem,
)
from gate.reports import remove_reports
from gate.stress.outcome import JUNIT_FILE
from gate.stress.shards import merge_stress, shard_files

_COPY_SUFFIX = re.compile(r"-[0-9]+$")
_STATUS = {"error": RunStatus.CRASHED, "inconclusive": RunStatus.INCONCLUSIVE}


def main(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    dirs = [Path(d) for d in args.dirs]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        raise UsageError(f"shard directory not found: {', '.join(missing)}")
    out = Path(args.out)
    if any(out.resolve() == d.resolve() for d in dirs):
        raise UsageError(f"--out {out} is one of the shard directories; choose a new one")
    remove_reports(out)  # no earlier result may outlive a failure of this one
    baseline = open_baseline(args.baseline, missing_ok=args.baseline_missing_ok)
    started = time.monotonic()
    shards = [(d, _result(d)) for d in dirs]
    runs = _suite_runs(shards)
    summary = None
    # Only shards whose result has stress data: a histograms file next to a result without it
    # is left from an earlier run into the same folder.
    stress_files = shard_files([d for d, r in shards if r is not None and r.get("stress")])
    if stress_files or any(r is not None and r.get("stress") for _, r in shards):
        missing = [
            str(d / "stress" / "histograms.json")
            for d, r in shards
            if r is not None
            and r.get("stress")
            and not (d / "stress" / "histograms.json").is_file()
        ]
        stress = merge_stress(
            stress_files,
            out_dir=out,
            secrets=config.secret_values,
            config=config.stress,
            missing=missing,
            baseline=stress_data(baseline),
        )
        failed = next((r for r in runs if r.name == "stress"), None)
        if failed is not None:  # another shard's stress did not complete: that outcome stays
            runs.remove(failed)
            if stress.suite.status is RunStatus.COMPLETED:
                stress.suite.status, stress.suite.detail = failed.status, failed.detail
        runs.append(stress.suite)
        summary = stress.summary
    target = config.target or next((r.get("target") for _, r in shards if r), None)
    decision = decide(runs, config, target=target, stress=summary)
    result = against_baseline(decision.result, baseline, out, config)
    result.duration_s = max(
        [float(r.get("duration_s") or 0.0) for _, r in shards if r] or [0.0]
    ) or (time.monotonic() - started)
    decision.result = result
    return emit(decision, out, secrets=config.secret_values)


def _result(shard: Path) -> dict[str, Any] | None:
    """The shard's result.json when it is one deploy-gate wrote (schema and shape checked)."""
    try:
        data = json.loads((shard / "result.json").read_text(encoding="utf-8"))
        GateResult.from_json(data)  # raises ValueError on another schema or shape
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _suite_runs(shards: list[tuple[Path, dict[str, Any] | None]]) -> list[SuiteRun]:
    runs: dict[str, SuiteRun] = {}
    for shard, result in shards:
        if result is None:
            runs[f"shard {shard}"] = SuiteRun(
                f"shard {shard}",
                status=RunStatus.CRASHED,
                detail=f"{shard}/result.json is missing, unreadable or not a deploy-gate result: "
                "the shard did not finish",
            )
            continue
        stems: set[str] = set()
        for file in sorted((shard / "junit").glob("*.xml")):
            if file.name in (MERGED_NAME, JUNIT_FILE):
                continue  # the merged file repeats the others; stress is judged again
            name = _COPY_SUFFIX.sub("", file.stem)  # emit writes SUITE.xml, SUITE-2.xml, ...
            stems.add(name)
            runs.setdefault(name, SuiteRun(name)).junit.append(file)
        for suite in result.get("suites", []):
            name = str(suite.get("name", ""))
            outcome = str(suite.get("outcome"))
            if name == "stress" and result.get("stress"):
                continue  # a stress run with data is judged again on the merged histograms
            status = _STATUS.get(outcome)
            reasons = [str(r) for r in suite.get("reasons", [])]
            if status is None and suite_file_stem(name) not in stems:
                # judged from testcases in that shard, but they are not here (a partial upload)
                status = RunStatus.CRASHED
                reasons = [
                    f"result.json reports {name} {outcome}, but its JUnit "
                    f"(junit/{suite_file_stem(name)}.xml) is missing"
                ]
            if status is None:
                continue
            run = runs.setdefault(name, SuiteRun(name))
            if run.status is RunStatus.COMPLETED or status is RunStatus.CRASHED:
                run.status = status
                run.detail = f"in shard {shard}: {'; '.join(reasons) or 'no reason given'}"
    return list(runs.values())
