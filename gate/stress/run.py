"""`run_stress`: plan the workers, run them, watch them, and turn the data into a suite result.

One worker runs in this process; several run as spawned processes that report cumulative
snapshots every second. The parent merges them (losslessly), draws the progress line, and
stops every worker when an `abortOnFail` threshold fails after its `delayAbortEval`.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import queue as queue_mod
import threading
import time
from dataclasses import replace
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gate.config.stress import StressConfig, check_hosts
from gate.config.thresholds import evaluate
from gate.errors import ConfigError
from gate.stress.meta import RunMeta, combine
from gate.stress.metrics import Snapshot, window_width
from gate.stress.outcome import StressRun, finish, read_baseline, thresholds_from_meta
from gate.stress.progress import Progress
from gate.stress.request import EndpointPlan
from gate.stress.workers import (
    TICK_S,
    WebSocketPlan,
    WorkerPlan,
    run_loop,
    run_worker,
    worker_main,
)

__all__ = ["StressRun", "plan_workers", "run_stress"]

RATE_PER_WORKER = 2000.0  # "auto" adds a process per this much peak rate, up to the core count
START_MARGIN_S = 0.3


def run_stress(
    config: StressConfig,
    *,
    target: str,
    out_dir: Path,
    secrets: frozenset[str],
    progress: bool,
    closed_concurrency: int | None = None,
    baseline: Path | None = None,
) -> StressRun:
    """Run the configured load against `target`; raises ConfigError for a disallowed host.

    `closed_concurrency` (benchmarks only) replaces the schedule by that many back-to-back
    loops, to measure the generator's capacity; never use it to gate.
    """
    problems = check_hosts(config, target)
    if problems:
        raise ConfigError("invalid [stress] configuration:\n  - " + "\n  - ".join(problems))
    plans = plan_workers(config, target, closed_concurrency=closed_concurrency, interim=progress)
    controller = _Controller(
        plans[0].meta, len(plans), Progress(config.total_duration_s, enabled=progress)
    )
    crash: str | None = None
    try:
        if len(plans) == 1:
            _in_process(plans[0], controller)
        else:
            crash = _processes(plans, controller)
    finally:
        controller.progress.close()
    snap = controller.final()
    return finish(
        snap, out_dir=out_dir, secrets=secrets, crash=crash, baseline=read_baseline(baseline)
    )


def plan_workers(
    config: StressConfig,
    target: str,
    *,
    closed_concurrency: int | None = None,
    interim: bool = False,
) -> list[WorkerPlan]:
    """Split the run into worker plans: worker w takes arrivals w, w+k, ... (see schedule)."""
    stages = [(s.duration_s, s.target) for s in config.stages] or [(config.duration_s, config.rate)]
    start_rate = config.start_rate if config.stages else config.rate
    peak = max([start_rate, *(t for _, t in stages)])
    count = _worker_count(config.workers, peak)
    base = target.rstrip("/")
    endpoints = [
        EndpointPlan(
            name=r.endpoint,
            method=r.method,
            url=r.path if urlsplit(r.path).scheme else base + r.path,
            headers=dict(r.headers),
            body=r.body.encode() if r.body is not None else None,
            expect=tuple(r.expect_status) or None,
            weight=r.weight,
        )
        for r in config.requests
    ]
    duration = config.total_duration_s
    meta = RunMeta.plan(config, target, _thresholds(config), closed=bool(closed_concurrency))
    width = window_width(duration)
    plans = []
    for index in range(count):
        ws = None
        if config.websocket is not None:
            share = config.websocket.connections // count + (
                1 if index < config.websocket.connections % count else 0
            )
            ws = WebSocketPlan(
                _ws_url(base, config.websocket.path),
                dict(config.websocket.headers),
                share,
                config.websocket.message,
                config.websocket.replies,
                config.websocket.interval_s,
                config.websocket.until,
            )
        plans.append(
            WorkerPlan(
                index=index,
                count=count,
                endpoints=endpoints,
                stages=stages,
                start_rate=start_rate,
                duration_s=duration,
                max_in_flight=math.ceil(config.max_in_flight / count),
                connections=math.ceil(config.connections / count),
                max_requests=math.ceil(config.max_requests / count),
                timeout_s=config.timeout_s,
                late_after_s=config.late_after_ms / 1000,
                window_s=width,
                windows=math.ceil(duration / width),
                abort_window=config.abort_window,
                abort_error_rate=config.abort_error_rate,
                websocket=ws,
                closed_concurrency=(
                    math.ceil(closed_concurrency / count) if closed_concurrency else None
                ),
                meta=meta,
                client=config.client,
                interim=interim or any(t[2] for t in config.parsed_thresholds()),
            )
        )
    return plans


def _thresholds(config: StressConfig) -> list[tuple[str, str, bool, float]]:
    found = config.parsed_thresholds()
    if found:
        return found
    # No thresholds configured: still judge something, never pass on nothing.
    defaults: list[tuple[str, str, bool, float]] = []
    if config.requests:
        defaults.append(("http_req_failed", "rate<0.01", False, 0.0))
    if config.websocket is not None:
        defaults.append(("ws_session_failed", "rate<0.01", False, 0.0))
    return defaults


def _worker_count(setting: int | str, peak_rate: float) -> int:
    if isinstance(setting, int):
        return setting
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, math.ceil(peak_rate / RATE_PER_WORKER)))


def _ws_url(base: str, path: str) -> str:
    url = path if urlsplit(path).scheme else base + path
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, *parts[1:]))


class _Controller:
    """The parent's view: latest snapshot per worker, progress, abortOnFail."""

    def __init__(self, meta: RunMeta, workers: int, progress: Progress) -> None:
        self.meta = meta
        self.workers = workers
        self.progress = progress
        self.thresholds = [t for t in thresholds_from_meta(meta) if t.abort_on_fail]
        self.latest: dict[int, Snapshot] = {}
        self.finals: dict[int, Snapshot] = {}
        self.abort_reason: str | None = None
        self.started = perf_counter()
        self._last = (0.0, 0)
        self._version = self._judged = 0

    def update(self, index: int, snap: Snapshot, final: bool) -> None:
        (self.finals if final else self.latest)[index] = snap
        if final:
            self.latest[index] = snap
        self._version += 1

    def tick(self) -> None:
        """Redraw progress and evaluate abortOnFail thresholds on the merged data."""
        if not self.latest or self._judged == self._version:
            return  # nothing new since the last tick
        self._judged = self._version
        merged = self._merged(list(self.latest.values()))
        elapsed = perf_counter() - self.started
        requests = merged.counters.get("http_reqs", 0)
        last_t, last_n = self._last
        rate = (requests - last_n) / (elapsed - last_t) if elapsed > last_t else 0.0
        self._last = (elapsed, requests)
        p95 = merged.trend("http_req_duration", "p(N)", 95.0)
        failed = merged.rates.get("http_req_failed", [0, 0])[0]
        self.progress.update(
            elapsed_s=elapsed, rate=rate, p95_ms=p95, errors=failed, requests=requests
        )
        if self.abort_reason is None:
            for threshold in self.thresholds:
                if elapsed < threshold.delay_abort_eval_s:
                    continue
                judgement = evaluate(threshold, merged)
                if judgement.ok is False:
                    self.abort_reason = (
                        f"threshold '{threshold.name}' failed with abortOnFail after "
                        f"{elapsed:.1f} s ({judgement.message})"
                    )
                    break

    def _merged(self, snaps: list[Snapshot]) -> Snapshot:
        if len(snaps) == 1:
            return snaps[0]
        merged = Snapshot()
        for snap in snaps:
            merged.merge(snap)
        merged.meta = combine([s.meta for s in snaps])
        return merged

    def final(self) -> Snapshot:
        merged = Snapshot()
        for snap in self.finals.values():
            merged.merge(snap)
        if self.finals:
            merged.meta = self.meta.with_run(combine([s.meta for s in self.finals.values()]))
        else:  # no worker finished (a crash): the planned settings, the time it took
            merged.meta = replace(self.meta, elapsed_s=perf_counter() - self.started)
        merged.meta.aborted = self.abort_reason or merged.meta.aborted
        return merged


def _in_process(plan: WorkerPlan, controller: _Controller) -> None:
    async def main() -> None:
        async def ticker() -> None:
            while True:
                await asyncio.sleep(TICK_S * 2.5)
                controller.tick()

        tick_task = asyncio.ensure_future(ticker())
        try:
            t0 = perf_counter() + 0.01
            controller.started = t0
            await run_worker(
                plan,
                t0,
                lambda s, f: controller.update(0, s, f),
                lambda: controller.abort_reason is not None,
            )
        finally:
            tick_task.cancel()

    if _loop_running():  # called from async code: keep its loop out of ours
        error: list[BaseException] = []

        def target() -> None:
            try:
                run_loop(main())
            except BaseException as exc:
                error.append(exc)

        thread = threading.Thread(target=target, name="gate-stress")
        thread.start()
        thread.join()
        if error:
            raise error[0]
    else:
        run_loop(main())


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _processes(plans: list[WorkerPlan], controller: _Controller) -> str | None:
    """Run the plans in spawned processes; return a crash description, or None."""
    ctx = multiprocessing.get_context("spawn")
    messages: Any = ctx.Queue()
    stop = ctx.Event()
    start = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(
            target=worker_main,
            args=(p, messages, stop, start),
            daemon=True,
            name=f"gate-stress-{p.index}",
        )
        for p in plans
    ]
    for proc in procs:
        proc.start()
    crash: str | None = None
    try:
        ready = 0
        deadline = time.monotonic() + 60
        while ready < len(procs) and crash is None:
            kind, index, payload = _get(messages, deadline, procs)
            if kind == "ready":
                ready += 1
            elif kind == "error":
                crash = f"stress worker {index} failed to start: {str(payload).splitlines()[0]}"
        if crash is None:
            start.value = perf_counter() + START_MARGIN_S
            controller.started = start.value
            crash = _collect(plans, controller, messages, procs, stop)
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
    return crash


def _collect(
    plans: list[WorkerPlan], controller: _Controller, messages: Any, procs: list[Any], stop: Any
) -> str | None:
    hard_deadline = time.monotonic() + plans[0].duration_s + plans[0].timeout_s + 30
    next_tick = time.monotonic()
    while len(controller.finals) < len(plans):
        try:
            kind, index, payload = messages.get(timeout=TICK_S)
        except queue_mod.Empty:
            kind = ""
            dead = [
                p for i, p in enumerate(procs) if not p.is_alive() and i not in controller.finals
            ]
            if dead:
                return f"stress worker {dead[0].name} exited with code {dead[0].exitcode}"
        if kind in ("snapshot", "final"):
            controller.update(index, Snapshot.from_json(payload), kind == "final")
        elif kind == "error":
            return f"stress worker {index} crashed: {str(payload).splitlines()[0]}"
        now = time.monotonic()
        if now >= next_tick:
            next_tick = now + TICK_S * 2.5
            controller.tick()
            if controller.abort_reason is not None:
                stop.set()
        if now > hard_deadline:
            return "stress workers did not finish in time (duration + timeout + 30 s)"
    return None


def _get(messages: Any, deadline: float, procs: list[Any]) -> tuple[str, int, Any]:
    while True:
        try:
            item: tuple[str, int, Any] = messages.get(timeout=0.5)
            return item
        except queue_mod.Empty:
            if time.monotonic() > deadline:
                return ("error", -1, "workers did not start within 60 s")
            dead = next((p for p in procs if not p.is_alive()), None)
            if dead is not None:
                return ("error", -1, f"{dead.name} exited with code {dead.exitcode}")
