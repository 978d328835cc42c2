"""`gate run`: run the configured suites against the target, decide, write outputs, print.

The target comes from `--target`, else `$GATE_TARGET_URL`, else the config's `target`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from gate.config import load_config
from gate.config.schema import GateConfig
from gate.config.suites import SuiteName, split_suites
from gate.errors import ConfigError, UsageError
from gate.model import SuiteRun, Verdict
from gate.readiness import validate_target
from gate.redact import Redactor
from gate.requirements import Requirements, install
from gate.runner import run_suites, select_suites

NO_TARGET = (
    "no target to check: pass --target URL, set GATE_TARGET_URL, or write "
    '`target = "https://staging.example.com"` in the configuration'
)


def main(args: argparse.Namespace) -> int:
    from gate.reports import remove_reports  # loaded late, like the policy (see execute)

    remove_reports(Path(args.out))  # no earlier result may outlive a failure of this one
    requested = split_suites(args.suites, where="--suites") if args.suites else None
    config = load_config(args.config)
    target, origin = pick_target(args.target, config)
    validate_target(target, Redactor(config.secret_values), origin=origin)
    install(requirements_of(config, getattr(args, "requirements", None) or []))
    return execute(
        config,
        config_path=config_path(config),
        target=target,
        suites=requested,
        out_dir=Path(args.out),
        extra_junit=args.junit,
        keep_going=getattr(args, "keep_going", False),
        baseline=args.baseline,
        baseline_missing_ok=args.baseline_missing_ok,
    )


def pick_target(flag: str | None, config: GateConfig) -> tuple[str, str]:
    """The target and where it came from: `--target`, then `$GATE_TARGET_URL`, then the config."""
    if flag:
        return flag, "--target"
    from_env = os.environ.get("GATE_TARGET_URL")
    if from_env:
        return from_env, "the environment variable GATE_TARGET_URL"
    if config.target:
        return config.target, f"key 'target' in {config.source}"
    raise UsageError(NO_TARGET)


def requirements_of(config: GateConfig, flags: list[str]) -> list[Requirements]:
    """`--requirements` entries (relative to the working directory) and `[e2e] requirements`
    (relative to the configuration file)."""
    wanted = []
    if flags:
        wanted.append(Requirements(tuple(flags), Path.cwd(), "--requirements"))
    if config.e2e is not None and config.e2e.requirements:
        source = Path(config.source)
        base = source.parent if source.is_file() else Path.cwd()
        origin = f"{config.source}: key 'e2e.requirements'"
        wanted.append(Requirements(tuple(config.e2e.requirements), base, origin))
    return wanted


def config_path(config: GateConfig) -> Path | None:
    """The file the configuration was read from (None for the built-in defaults)."""
    path = Path(config.source)
    return path if path.is_file() else None


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM (a cancelled CI job) into KeyboardInterrupt, so that suites and the demo
    service are stopped on the way out and the gate ends in a block, not silently."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def execute(
    config: GateConfig,
    *,
    config_path: Path | None,
    target: str,
    suites: Sequence[SuiteName] | None,
    out_dir: Path,
    extra_junit: Sequence[str] = (),
    keep_going: bool = False,
    baseline: str | None = None,
    baseline_missing_ok: bool = False,
) -> int:
    """Run, decide and emit: the path `gate run` and `gate demo` share. Returns the exit code."""
    redact = Redactor(config.secret_values)
    target = validate_target(target, redact)
    selected = select_suites(config, suites)
    if not selected and not extra_junit:
        raise UsageError(
            f"nothing to run: {config.source} configures none of the selected suites "
            "([smoke], [e2e], [stress]) and no --junit file was given"
        )
    _check_stress_hosts(config, target, selected, redact)
    # the policy and reports load only when needed
    from gate.pipeline import against_baseline, decide, emit, open_baseline, stress_data

    earlier = open_baseline(baseline, missing_ok=baseline_missing_ok)  # before any load is sent

    def blocks(run: SuiteRun) -> bool:
        """Would this suite alone block? Asked of the policy, so relaxed tiers do not stop e2e."""
        return decide([run], config, target=target).result.verdict is Verdict.BLOCK

    started = time.monotonic()
    with interrupt_on_sigterm():
        ran = run_suites(
            config,
            config_path=config_path,
            target=target,
            suites=selected,
            out_dir=out_dir,
            extra_junit=extra_junit,
            blocks=blocks,
            keep_going=keep_going,
            baseline_stress=stress_data(earlier),
        )
    decision = decide(
        ran.runs,
        config,
        target=target,
        stress=ran.stress,
        duration_s=time.monotonic() - started,
        cold_start=ran.cold_start,
    )
    decision.result = against_baseline(decision.result, earlier, out_dir, config)
    return int(emit(decision, out_dir, secrets=config.secret_values))


def _check_stress_hosts(
    config: GateConfig, target: str, selected: Sequence[str], redact: Redactor
) -> None:
    """Load to a host other than the target's is a configuration error, found before any run."""
    if "stress" not in selected or config.stress is None:
        return
    from gate.config.stress import check_hosts

    problems = check_hosts(config.stress, target)
    if problems:
        raise ConfigError(f"{config.source}: " + redact("; ".join(problems)))
