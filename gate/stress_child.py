"""The stress engine under a hard deadline: a spawned child process in its own process group.

The engine bounds itself (the planned duration, then in-flight requests up to the request
timeout), but a hang in it, or in a worker it started, must not hold the gate: the runner's
other suites have a deadline too. So `run_stress` runs in a child process that leads a new
process group; at the deadline the whole group (the child and the worker processes it started)
is sent SIGTERM, then SIGKILL, and the caller reports the suite as timed out.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.config.stress import StressConfig

STRESS_GRACE_S = 30.0  # start-up (spawning workers), the report files, a loaded machine
KILL_GRACE_S = 5.0


def stress_deadline_s(config: StressConfig) -> float:
    """Planned duration (every stage of a ramp) + the request timeout for the requests still in
    flight at the end + a grace period: past this, the run is hung, not slow."""
    return config.total_duration_s + config.timeout_s + STRESS_GRACE_S


def deadline_text(config: StressConfig, deadline_s: float) -> str:
    """The deadline for a person: which settings it comes from, so they know what to raise."""
    planned = config.total_duration_s + config.timeout_s + STRESS_GRACE_S
    if abs(planned - deadline_s) > 1e-9:
        return f"the stress deadline of {deadline_s:g} s"
    return (
        f"the stress deadline of {deadline_s:g} s (stress.duration_s/stages "
        f"{config.total_duration_s:g} s + stress.timeout_s {config.timeout_s:g} s + "
        f"{STRESS_GRACE_S:g} s grace)"
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the child sent: the `StressRun` (`run`), or why it failed (`error`), or neither
    (`timed_out`) when the deadline passed first."""

    run: Any = None
    error: str | None = None
    timed_out: bool = False


def run_stress_bounded(
    config: StressConfig,
    *,
    target: str,
    out_dir: Path,
    secrets: frozenset[str],
    deadline_s: float,
    baseline: Path | None = None,
) -> Outcome:
    """Run `gate.stress.run_stress` in a child process; stop its whole group at `deadline_s`."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_child,
        args=(config, target, out_dir, secrets, send, baseline),
        name="gate-stress-run",
    )
    child.start()
    send.close()  # the child holds the only writer: its exit is an end-of-file here
    answered = False
    try:
        if not receive.poll(deadline_s):
            return Outcome(timed_out=True)
        answered = True
        try:
            kind, payload = receive.recv()
        except EOFError:
            child.join(KILL_GRACE_S)
            return Outcome(error=f"the stress process exited with code {child.exitcode}")
        return Outcome(run=payload) if kind == "run" else Outcome(error=str(payload))
    finally:  # also on Ctrl+C or a cancelled job: never leave load running
        receive.close()
        _stop_group(child, graceful=answered)


def _stop_group(child: Any, *, graceful: bool) -> None:
    """Stop the child and every process it started (nothing to do once they have all exited)."""
    if graceful:
        child.join(KILL_GRACE_S)  # it has answered and is on its way out
    if child.exitcode is None:
        _signal(child, signal.SIGTERM)
        child.join(KILL_GRACE_S)
    _signal(child, signal.SIGKILL)  # the child if it is still there, workers it left behind
    child.join()
    _wait_group_gone(child.pid)


def _wait_group_gone(pgid: int, deadline_s: float = KILL_GRACE_S) -> None:
    """Return once no process of the group is left (SIGKILL is delivered, not yet done)."""
    if not hasattr(os, "killpg"):
        return
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


def _signal(child: Any, sig: signal.Signals) -> None:
    """Signal the child's process group; the child alone where there are no process groups or
    before it has made its own (then it has not started any worker yet)."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(child.pid, sig)
            return
        except (ProcessLookupError, PermissionError):
            pass
    if child.exitcode is None:
        if sig == signal.SIGTERM:
            child.terminate()
        else:
            child.kill()


def _child(
    config: StressConfig,
    target: str,
    out_dir: Path,
    secrets: frozenset[str],
    send: Any,
    baseline: Path | None = None,
) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # the group the parent stops at the deadline, workers included
    try:
        from gate.stress import run_stress

        run = run_stress(
            config,
            target=target,
            out_dir=out_dir,
            secrets=secrets,
            progress=True,
            baseline=baseline,
        )
        message: tuple[str, Any] = ("run", run)
    except Exception as exc:  # sent as text: the parent redacts it and blocks
        message = ("error", f"{type(exc).__name__}: {exc}")
    send.send(message)
    send.close()
