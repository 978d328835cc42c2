"""The core flow: suite runs -> JUnit read and folded -> policy -> result -> outputs.

`decide` is pure apart from reading the JUnit files; `emit` writes everything to `out_dir` and
returns the exit code. Both fail closed: anything unexpected while reading or judging a suite
makes that suite an `error`, which blocks.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from gate.config.schema import GateConfig
from gate.errors import print_debug_traceback
from gate.inputs import is_glob
from gate.junit import JUnitData, expand, read_junit
from gate.junit.mask import Masker
from gate.junit.merged import write_merged
from gate.junit.source import UnsafeOrUnreadable
from gate.model import GateResult, Outcome, RunStatus, SuiteResult, SuiteRun, Totals, Verdict
from gate.policy import combine, judge_suite
from gate.redact import Redactor
from gate.reports import print_summary, remove_reports, write_reports

MERGED_NAME = "merged.xml"

# Files `decide` read without error, by resolved path: (size, mtime_ns) then, and the spool
# holding the text the reader parsed. `emit` copies spools into the merged JUnit file instead
# of parsing the files a second time. Spools live in one temporary folder per process.
_ACCEPTED: dict[Path, tuple[int, int, Path]] = {}
_SPOOL_DIR: list[Path] = []


def decide(
    runs: list[SuiteRun],
    config: GateConfig,
    *,
    target: str | None,
    stress: dict[str, Any] | None = None,
    duration_s: float = 0.0,
    cold_start: dict[str, Any] | None = None,
) -> GateResult:
    """Read each run's JUnit (streaming), fold reruns, apply the policy, return the result."""
    redact = Redactor(config.secret_values)
    suites: list[SuiteResult] = []
    for run in runs:
        try:
            data = _read(run, redact)
            suites.append(judge_suite(run, data, config.policy, redact))
        except Exception as exc:  # fail closed
            print_debug_traceback()
            suites.append(
                SuiteResult(
                    name=run.name,
                    outcome=Outcome.ERROR,
                    reasons=[
                        f"{run.name}: internal error while judging the suite: "
                        f"{type(exc).__name__}: {redact(str(exc))[:500]}"
                    ],
                )
            )
    verdict, outcome, reasons = combine(suites)
    totals = Totals()
    for suite in suites:
        totals.add(suite.totals)
    return GateResult(
        verdict=verdict,
        outcome=outcome,
        reasons=reasons,
        target=redact(target) if target else target,  # read from ${VAR}, it is a secret
        totals=totals,
        suites=suites,
        stress=stress,
        duration_s=duration_s or sum(s.duration_s for s in suites),
        cold_start=cold_start,
    )


def emit(
    result: GateResult,
    runs: list[SuiteRun],
    out_dir: Path,
    *,
    secrets: frozenset[str] = frozenset(),
) -> int:
    """Write result.json, summary.md and junit/ (merged + per-suite copies); print; exit code.

    `secrets` (the configured values) are masked again at render time, behind the reader's pass.
    """
    out_dir = Path(out_dir)
    try:
        write_reports(result, out_dir, run_url=run_url_from_env(), secrets=secrets)
        junit_dir = out_dir / "junit"
        junit_dir.mkdir(parents=True, exist_ok=True)
        masker = Masker.for_values(secrets)  # None: no configured value, plain copies
        _copy_suite_files(runs, junit_dir, masker)
        write_merged(result, runs, junit_dir / MERGED_NAME, _spool_for, masker=masker)
        _drop_spools(runs)
        print_summary(result, secrets=secrets)
    except BaseException:
        # The caller ends in a block; a result.json saying "pass" must not outlive that.
        remove_reports(out_dir)
        raise
    return 0 if result.verdict is Verdict.PASS else 1


def run_url_from_env() -> str | None:
    """The GitHub Actions run's page, for the summary's link; None outside Actions."""
    server, repo, run_id = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None


def _read(run: SuiteRun, redact: Redactor) -> JUnitData:
    inputs: list[str | Path] = list(run.junit)
    if run.status is not RunStatus.COMPLETED:
        # A run that did not complete may have left no file; its status is the reason then.
        inputs = [p for p in inputs if is_glob(str(p)) or Path(p).exists()]
    data = read_junit(inputs, redact=redact, spool_dir=_spool_dir())
    for path, spool in data.spools.items():
        try:
            stat = path.stat()
        except OSError:
            continue
        previous = _ACCEPTED.get(path.resolve())
        if previous is not None and previous[2] != spool:
            previous[2].unlink(missing_ok=True)
        _ACCEPTED[path.resolve()] = (stat.st_size, stat.st_mtime_ns, spool)
    return data


def _drop_spools(runs: list[SuiteRun]) -> None:
    """Spools are used once: a long-lived process (a test session) must not pile them up."""
    for run in runs:
        for spec in run.junit:
            for file in expand(spec).files:
                entry = _ACCEPTED.pop(file.resolve(), None)
                if entry is not None:
                    entry[2].unlink(missing_ok=True)


def _spool_dir() -> Path:
    if not _SPOOL_DIR:
        folder = Path(tempfile.mkdtemp(prefix="gate-junit-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _SPOOL_DIR.append(folder)
    return _SPOOL_DIR[0]


def _spool_for(path: Path) -> Path | None:
    """The reader's text of `path` if it accepted it and the file has not changed since."""
    try:
        stat = path.stat()
        size, mtime, spool = _ACCEPTED[path.resolve()]
    except (OSError, KeyError):
        return None
    if (size, mtime) != (stat.st_size, stat.st_mtime_ns) or not spool.is_file():
        return None
    return spool


def _copy_suite_files(runs: list[SuiteRun], junit_dir: Path, masker: Masker | None) -> None:
    """Copy each suite's input files as `SUITE.xml` (`SUITE-2.xml`, ... when several).

    With configured secrets (`masker`), every copy has them masked; a non-regular input (FIFO,
    device) is never copied.

    Files an earlier run left in `junit_dir` are removed (never one of this run's inputs), so
    the folder never mixes two runs' suites.
    """
    written: set[Path] = {junit_dir / MERGED_NAME}
    inputs: set[Path] = set()
    for run in runs:
        files = [f for spec in run.junit for f in expand(spec).files]
        inputs.update(f.resolve() for f in files)
        stem = suite_file_stem(run.name)
        for index, file in enumerate(files, start=1):
            name = f"{stem}.xml" if index == 1 else f"{stem}-{index}.xml"
            target = junit_dir / name
            written.add(target)
            try:
                if target.exists() and target.samefile(file):
                    if masker is not None:  # the input is the copy: mask it where it is
                        masker.copy_file(file, target)
                    continue
                if masker is not None:
                    masker.copy_file(file, target)
                else:
                    shutil.copyfile(file, target)
            except (OSError, UnsafeOrUnreadable) as exc:
                print(f"gate: could not copy {file} to {target}: {exc}", file=sys.stderr)
    for stale in junit_dir.glob("*.xml"):
        if stale not in written and stale.resolve() not in inputs:
            stale.unlink(missing_ok=True)


def suite_file_stem(name: str) -> str:
    """The file name stem of a suite's JUnit copies in `junit/` (`SUITE.xml`, `SUITE-2.xml`)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip(".")
    cleaned = cleaned or "suite"
    return f"{cleaned}-suite" if cleaned == Path(MERGED_NAME).stem else cleaned
