"""The runner: readiness, then smoke -> e2e -> stress, each suite's result as JUnit.

`run_suites` never decides the verdict itself; it hands every suite's `SuiteRun` (JUnit files
and how the run ended) to the policy. It only decides what not to spend time on: nothing runs
against a target that never became ready, and when smoke blocks, e2e and stress are reported
"not run" (inconclusive) instead of spending minutes against a broken deployment. Whether smoke
blocks is the policy's question, a later stage: the caller passes it in as `blocks`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gate.checks.client import auth_headers
from gate.config.schema import SUITES, GateConfig, SuiteName
from gate.errors import UsageError
from gate.inputs import expand
from gate.model import RunStatus, StressSummary, SuiteRun
from gate.readiness import ColdStart, cold_start_junit, validate_target, wait_ready
from gate.redact import Redactor
from gate.suite_process import SuiteProcess, run_pytest

if TYPE_CHECKING:
    from gate.stress import StressRun

# The policy says "e2e: did not run: smoke blocked (...)"; the rest says how to run them anyway.
SMOKE_BLOCKED = (
    "smoke blocked (to run e2e and stress anyway, set [policy] smoke_gates_rest = false "
    "or pass `gate run --keep-going`)"
)


@dataclass(slots=True)
class RunnerResult:
    """Every suite's run, in order, and the stress summary for result.json (when stress ran)."""

    runs: list[SuiteRun] = field(default_factory=list)
    stress: StressSummary | None = None
    cold_start: dict[str, Any] | None = None


def select_suites(config: GateConfig, requested: Sequence[SuiteName] | None) -> list[SuiteName]:
    """The suites to run, in the fixed order smoke -> e2e -> stress.

    The names are valid already (`gate.config.suites` checked the config's `suites`, the
    command line's `--suites` and the action's input). Suites named on the command line or in
    the config's `suites` must be configured (exit 2 otherwise); from the default list,
    unconfigured suites are left out. The check suites' pytest paths are resolved here, so a
    missing `e2e.pytest` path is exit 2 before any wait.
    """
    explicit = requested is not None or "suites" in config.model_fields_set
    names = list(requested) if requested is not None else list(config.suites)
    missing = [n for n in names if getattr(config, n) is None]
    if explicit and missing:
        raise UsageError(
            f"suite(s) {', '.join(missing)} selected but not configured in {config.source}: "
            f"add a [{missing[0]}] section or leave the suite out of --suites/`suites`"
        )
    selected = [n for n in SUITES if n in names and n not in missing]
    from gate.checks import pytest_targets

    for name in selected:
        if name != "stress":
            pytest_targets(name, config)  # raises ConfigError naming the key
    return selected


def run_suites(
    config: GateConfig,
    *,
    config_path: Path | None,
    target: str,
    suites: Sequence[SuiteName],
    out_dir: Path,
    extra_junit: Sequence[str] = (),
    stream: TextIO | None = None,
    blocks: Callable[[SuiteRun], bool] | None = None,
    baseline_stress: Path | None = None,
    keep_going: bool = False,
) -> RunnerResult:
    """Wait for the target, run `suites` (see `select_suites`) in order, add `extra_junit`.

    `blocks(run)` says whether a completed smoke run blocks on its own (the policy's answer);
    when it does, or smoke did not complete, e2e and stress are not run. Without `blocks`, only
    a smoke run that did not complete stops them. `keep_going` (or `[policy] smoke_gates_rest
    = false`) runs them anyway: the verdict is the same block, with more learnt in one round.
    `baseline_stress` (an earlier run's stress/histograms.json) resolves thresholds written
    relative to the baseline.
    """
    smoke_gates = config.policy.smoke_gates_rest and not keep_going
    target = validate_target(target)
    suites = [name for name in SUITES if name in suites]  # always smoke -> e2e -> stress
    stream = stream if stream is not None else sys.stdout
    redactor = Redactor(config.secret_values)
    result = RunnerResult()
    _forget_earlier_runs(out_dir)
    if suites:
        print(f"gate: waiting for {redactor(target)} to be ready", file=stream, flush=True)
        cold = ColdStart()
        not_ready = wait_ready(
            target,
            config.readiness,
            headers=auth_headers(config),
            redactor=redactor,
            progress=lambda line: print(f"gate: {line}", file=stream, flush=True),
            cold_start=cold,
        )
        result.cold_start = cold.to_json()
        cold_file = out_dir / "runs" / "cold_start.xml"
        if cold_start_junit(cold, config.readiness, cold_file):
            result.runs.append(SuiteRun("cold_start", junit=[cold_file]))
        if not_ready:
            result.runs.append(SuiteRun("readiness", status=RunStatus.TIMED_OUT, detail=not_ready))
            suites = []
    smoke_blocked = False
    for name in suites:
        if smoke_blocked:
            result.runs.append(SuiteRun(name, status=RunStatus.NOT_RUN, detail=SMOKE_BLOCKED))
        elif name == "stress":
            run, result.stress = _run_stress(config, target, out_dir, stream, baseline_stress)
            result.runs.append(run)
        else:
            run = _run_check_suite(name, config, config_path, target, out_dir, stream)
            result.runs.append(run)
            smoke_blocked = smoke_gates and name == "smoke" and _blocks(run, blocks)
    result.runs += junit_runs(extra_junit)
    return result


def _forget_earlier_runs(out_dir: Path) -> None:
    """Remove this runner's files from an earlier run into the same folder, so that a suite
    that does not run this time cannot be mistaken for one that did."""
    (out_dir / "runs" / "cold_start.xml").unlink(missing_ok=True)
    for name in [*SUITES, "e2e-flows"]:
        (out_dir / "runs" / f"{name}.xml").unlink(missing_ok=True)
        (out_dir / "logs" / f"{name}.log").unlink(missing_ok=True)


def _run_check_suite(
    name: str,
    config: GateConfig,
    config_path: Path | None,
    target: str,
    out_dir: Path,
    stream: TextIO,
) -> SuiteRun:
    """One suite, as one pytest process or two (built-in flows apart from a user's tests, see
    `gate.suite_launch`) sharing the suite's timeout; the runs combine into one `SuiteRun`."""
    from gate.suite_launch import suite_launches  # imports the check modules' package: late

    section = getattr(config, name)
    launches = suite_launches(name, config, target=target, config_path=config_path)
    print(f"gate: {name}: running (timeout {section.timeout_s:g} s)", file=stream, flush=True)
    deadline = time.monotonic() + section.timeout_s
    parts: list[SuiteRun] = []
    for index, launch in enumerate(launches):
        file = f"{name}-{launch.part}" if launch.part else name
        left = section.timeout_s if index == 0 else round(deadline - time.monotonic(), 1)
        spec = SuiteProcess(
            name=name,
            pytest_args=launch.pytest_args,
            junit=out_dir / "runs" / f"{file}.xml",
            log=out_dir / "logs" / f"{file}.log",
            timeout_s=max(left, 1.0),
            timeout_key=f"{name}.timeout_s",
            python_args=launch.python_args,
            env=launch.env,
            hint=launch.hint,
        )
        run, code = run_pytest(spec, redactor=Redactor(config.secret_values), stream=stream)
        ended = "exit " + str(code) if code is not None else str(run.status)
        what = f"{name} ({launch.part})" if launch.part else name
        print(f"gate: {what}: {ended} after {run.duration_s or 0:.1f} s", file=stream, flush=True)
        parts.append(run)
        if run.status is RunStatus.TIMED_OUT:
            break
    return _combine(name, parts)


def _combine(name: str, parts: list[SuiteRun]) -> SuiteRun:
    if len(parts) == 1:
        return parts[0]
    failed = [p for p in parts if p.status is not RunStatus.COMPLETED]
    return SuiteRun(
        name,
        junit=[file for p in parts for file in p.junit],
        status=failed[0].status if failed else RunStatus.COMPLETED,
        detail="; ".join(p.detail for p in failed),
        duration_s=sum(p.duration_s or 0.0 for p in parts),
    )


def _blocks(run: SuiteRun, blocks: Callable[[SuiteRun], bool] | None) -> bool:
    if run.status is not RunStatus.COMPLETED:
        return True
    return blocks is not None and blocks(run)


def _run_stress(
    config: GateConfig, target: str, out_dir: Path, stream: TextIO, baseline: Path | None
) -> tuple[SuiteRun, StressSummary | None]:
    """The stress suite, in a child process under a hard deadline (`gate.stress_child`)."""
    from gate.stress_child import deadline_text, run_stress_bounded, stress_deadline_s

    redact = Redactor(config.secret_values)
    assert config.stress is not None  # select_suites keeps only configured suites
    deadline = stress_deadline_s(config.stress)
    planned = config.stress.total_duration_s
    print(
        f"gate: stress: running for {planned:g} s; "
        f"{deadline_text(config.stress, deadline)} stops it if it hangs",
        file=stream,
        flush=True,
    )
    started = time.monotonic()
    outcome = run_stress_bounded(
        config.stress,
        target=target,
        out_dir=out_dir,
        secrets=config.secret_values,
        deadline_s=deadline,
        baseline=baseline,
    )
    if outcome.timed_out:
        detail = (
            f"the stress run did not finish within {deadline_text(config.stress, deadline)}; "
            "it and its worker processes were terminated"
        )
        duration = time.monotonic() - started
        return SuiteRun(
            "stress", status=RunStatus.TIMED_OUT, detail=detail, duration_s=duration
        ), None
    if outcome.error is not None:  # fail closed: the verdict blocks with what went wrong
        detail = f"the stress run failed: {redact(outcome.error)}"
        return SuiteRun("stress", status=RunStatus.CRASHED, detail=detail), None
    stress: StressRun = outcome.run
    return stress.suite, stress.summary


def junit_runs(patterns: Sequence[str]) -> list[SuiteRun]:
    """One suite per JUnit file from `--junit` paths, folders or globs (named by file stem).

    A pattern that matches nothing is a crashed suite, not a silent pass: the tests that
    should have written it probably did not run.
    """
    runs: list[SuiteRun] = []
    taken = set(SUITES) | {"readiness", "cold_start"}
    for pattern in patterns:
        files = expand(pattern).files
        if not files:
            detail = f"--junit {pattern!r} matched no file"
            runs.append(SuiteRun(f"junit:{pattern}", status=RunStatus.CRASHED, detail=detail))
        for file in files:
            name = _unique(file.stem, taken)
            taken.add(name)
            runs.append(SuiteRun(name, junit=[file]))
    return runs


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    index = 2
    while f"{name}-{index}" in taken:
        index += 1
    return f"{name}-{index}"
