"""The core flow: suite runs -> JUnit read and folded -> policy -> result -> outputs.

`decide` is pure apart from reading the JUnit files and returns a `Decision`: the result, the
runs it judged and where the bodies of the files it accepted are. `emit` takes that `Decision`,
writes everything to `out_dir` and returns the exit code. Nothing links the two but the object
passed between them (no module state), so two decisions in one process never mix. Both fail
closed: anything unexpected while reading or judging a suite makes that suite an `error`, which
blocks.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.baseline import Baseline, BaselineError, compare, load_baseline, write_provenance
from gate.collector import collector_paused
from gate.config.schema import GateConfig
from gate.errors import print_debug_traceback
from gate.inputs import is_glob
from gate.junit import JUnitData, expand, read_junit
from gate.junit.body import Body
from gate.junit.mask import Masker
from gate.junit.merged import write_merged
from gate.junit.source import UnsafeOrUnreadable
from gate.model import (
    GateResult,
    Outcome,
    RunStatus,
    StressSummary,
    SuiteResult,
    SuiteRun,
    Totals,
    Verdict,
)
from gate.policy import combine, judge_suite
from gate.redact import Redactor
from gate.reports import print_summary, remove_reports, write_reports

MERGED_NAME = "merged.xml"


@dataclass
class Decision:
    """What `decide` judged, handed to `emit`: the result, the runs, the bodies it accepted.

    `emit` copies each accepted file's body (the text the reader parsed: the file's own bytes,
    or a spool when the reader had to clean the text) into the merged JUnit file instead of
    parsing the files a second time. Spools live in one temporary folder per decision, removed
    by `close()` (which `emit` calls), or when the decision is garbage-collected or the process
    exits, for a decision never emitted (the runner's per-suite "would this block?" question).

    Callers may replace `result` (the baseline comparison re-decides it) before `emit`.
    """

    result: GateResult
    runs: list[SuiteRun]
    accepted: dict[Path, Body] = field(default_factory=dict)  # by resolved path
    spool_dir: Path | None = None
    _cleanup: weakref.finalize[Any, Any] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.spool_dir is not None:
            self._cleanup = weakref.finalize(self, shutil.rmtree, self.spool_dir, True)

    def body_for(self, path: Path) -> Body | None:
        """Where the reader's text of `path` is, if it accepted it and the file is unchanged."""
        try:
            stat = path.stat()
            body = self.accepted[path.resolve()]
        except (OSError, KeyError):
            return None
        if (body.size, body.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            return None
        if body.owned and not body.path.is_file():
            return None
        return body

    def close(self) -> None:
        """Remove the spools: used once, a long-lived process (a test session) must not pile
        them up. `emit` then reads the files again if it is called a second time."""
        self.accepted.clear()
        if self._cleanup is not None:
            self._cleanup()


def decide(
    runs: list[SuiteRun],
    config: GateConfig,
    *,
    target: str | None,
    stress: StressSummary | None = None,
    duration_s: float = 0.0,
    cold_start: dict[str, Any] | None = None,
) -> Decision:
    """Read each run's JUnit (streaming), fold reruns, apply the policy: the `Decision`."""
    with collector_paused():  # see gate.collector: 100,000 folded tests, no reference cycle
        return _decide(runs, config, target, stress, duration_s, cold_start)


def _decide(
    runs: list[SuiteRun],
    config: GateConfig,
    target: str | None,
    stress: StressSummary | None,
    duration_s: float,
    cold_start: dict[str, Any] | None,
) -> Decision:
    redact = Redactor(config.secret_values)
    decision = Decision(
        GateResult(Verdict.BLOCK, Outcome.ERROR),  # a block until the suites are judged below
        list(runs),
        spool_dir=Path(tempfile.mkdtemp(prefix="gate-junit-")),
    )
    suites: list[SuiteResult] = []
    for run in runs:
        try:
            data = _read(run, redact, decision)
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
    decision.result = GateResult(
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
    return decision


def emit(decision: Decision, out_dir: Path, *, secrets: frozenset[str] = frozenset()) -> int:
    """Write result.json, summary.md and junit/ (merged + per-suite copies); print; exit code.

    `secrets` (the configured values) are masked again at render time, behind the reader's pass.
    The decision's spools are removed afterwards, whatever happens.
    """
    with collector_paused():  # see gate.collector: the reports walk 100,000 problems
        return _emit(decision, Path(out_dir), secrets)


def _emit(decision: Decision, out_dir: Path, secrets: frozenset[str]) -> int:
    result = decision.result
    try:
        junit_dir = out_dir / "junit"
        junit_dir.mkdir(parents=True, exist_ok=True)
        # The JUnit copies are the kernel's work (`sendfile`, no GIL held): the per-suite
        # copies and the merged file are written on two threads of their own (side by side
        # they took half the time of one after the other) while this one renders the reports.
        # Any failure there is raised here by `result()`, before the summary is printed.
        masker = Masker.for_values(secrets)  # None: no configured value, plain copies
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="gate-junit") as pool:
            copies = pool.submit(_copy_suite_files, decision.runs, junit_dir, masker)
            merged = pool.submit(_write_merged, decision, junit_dir / MERGED_NAME, masker)
            write_reports(result, out_dir, run_url=run_url_from_env(), secrets=secrets)
            write_provenance(out_dir)
            copies.result()
            merged.result()
        print_summary(result, secrets=secrets)
    except BaseException:
        # The caller ends in a block; a result.json saying "pass" must not outlive that.
        remove_reports(out_dir)
        raise
    finally:
        decision.close()
    return 0 if result.verdict is Verdict.PASS else 1


def _write_merged(decision: Decision, path: Path, masker: Masker | None) -> None:
    """`junit/merged.xml`: each accepted file's body copied from where the reader left it."""
    write_merged(decision.result, decision.runs, path, decision.body_for, masker=masker)


def open_baseline(folder: str | None, *, missing_ok: bool = False) -> Baseline | str | None:
    """The baseline named on the command line, read before any check runs.

    A bad folder raises BaselineError (exit 2); with `missing_ok` (the action's `baseline:
    auto`) it is returned as the problem's text instead: reported, no comparison, no block.
    """
    if not folder:
        return None
    try:
        return load_baseline(Path(folder))
    except BaselineError as exc:
        if not missing_ok:
            raise
        why = _unavailable(Path(folder)) or str(exc)
        print(f"gate: warning: {why}; no baseline comparison", file=sys.stderr)
        return why


def _unavailable(folder: Path) -> str | None:
    """Why the action found no baseline (`unavailable.txt`, written by its baseline step)."""
    try:
        return (folder / "unavailable.txt").read_text(encoding="utf-8").strip()[:500] or None
    except (OSError, UnicodeDecodeError):
        return None


def stress_data(baseline: Baseline | str | None) -> Path | None:
    """The baseline's stress histograms file, for thresholds relative to it (None: none)."""
    if not isinstance(baseline, Baseline) or baseline.snapshot is None:
        return None
    return Path(baseline.source.path) / "stress" / "histograms.json"


def against_baseline(
    result: GateResult, baseline: Baseline | str | None, out_dir: Path, config: GateConfig
) -> GateResult:
    """`result` judged against the baseline (unchanged without one).

    This run's stress histograms are the ones it wrote to `out_dir/stress/` (only when it has a
    stress summary: a file without one is left from an earlier run into the same folder).
    """
    if baseline is None:
        return result
    if isinstance(baseline, str):  # unreadable in auto mode: said, not compared
        from gate.model import BaselineReport, BaselineSource

        report = BaselineReport(BaselineSource(path=""), comparable=False, why_not=[baseline])
        result.baseline = report
        return result
    from gate.stress.metrics import Snapshot

    now = None
    histograms = out_dir / "stress" / "histograms.json"
    if result.stress is not None and histograms.is_file():
        try:
            now = Snapshot.read(histograms)
        except ValueError as exc:  # ours, just written: a bug, but never a silent pass
            print(f"gate: warning: {exc}; stress not compared with the baseline", file=sys.stderr)
    return compare(result, now, baseline, config.baseline)


def run_url_from_env() -> str | None:
    """The GitHub Actions run's page, for the summary's link; None outside Actions."""
    server, repo, run_id = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None


def _read(run: SuiteRun, redact: Redactor, decision: Decision) -> JUnitData:
    inputs: list[str | Path] = list(run.junit)
    if run.status is not RunStatus.COMPLETED:
        # A run that did not complete may have left no file; its status is the reason then.
        inputs = [p for p in inputs if is_glob(str(p)) or Path(p).exists()]
    data = read_junit(inputs, redact=redact, spool_dir=decision.spool_dir)
    for path, body in data.bodies.items():
        previous = decision.accepted.get(path.resolve())
        if previous is not None and previous.owned and previous.path != body.path:
            previous.path.unlink(missing_ok=True)
        decision.accepted[path.resolve()] = body
    return data


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
