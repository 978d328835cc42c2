"""Worker processes: one event loop per core, each driving its share of the schedule.

A `WorkerPlan` is plain, picklable data. `run_worker` is the async body (used in-process when
there is one worker); `worker_main` is the process entry point, which reports cumulative
snapshots to the parent through a queue (encoded histograms, merged losslessly by the parent)
and stops when the parent sets the stop event (abortOnFail, a crash elsewhere).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field, replace
from multiprocessing.synchronize import Event
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit

from gate.stress.h1 import Pool, encode_request
from gate.stress.http import HttpLoad, make_session
from gate.stress.meta import RunMeta
from gate.stress.metrics import Snapshot
from gate.stress.recorder import Recorder
from gate.stress.request import EndpointPlan, PreparedRequest
from gate.stress.schedule import Schedule, weighted_cycle
from gate.stress.ws import Exchange, hold_connections

REPORT_S = 1.0
TICK_S = 0.1


@dataclass(frozen=True)
class WebSocketPlan:
    url: str
    headers: dict[str, str]
    connections: int
    message: str
    replies: int
    interval_s: float
    until: str | None = None


@dataclass(frozen=True)
class WorkerPlan:
    index: int
    count: int
    endpoints: list[EndpointPlan]
    stages: list[tuple[float, float]]
    start_rate: float
    duration_s: float
    max_in_flight: int
    connections: int
    max_requests: int
    timeout_s: float
    late_after_s: float
    window_s: float
    windows: int
    abort_window: int
    abort_error_rate: float
    websocket: WebSocketPlan | None = None
    closed_concurrency: int | None = None  # bench only: back-to-back requests, no schedule
    client: str = "lean"  # "lean" (gate.stress.h1) or "aiohttp"
    interim: bool = True  # send snapshots every REPORT_S (progress line, abortOnFail)
    meta: RunMeta = field(default_factory=RunMeta)


Report = Callable[[Snapshot, bool], None]


def _lean_pools(endpoints: list[PreparedRequest], timeout_s: float) -> list[Pool]:
    """One connection pool per origin; each endpoint gets its pool and its encoded request."""
    pools: dict[tuple[str, int, str], Pool] = {}
    for ep in endpoints:
        url = str(ep.url)
        parts = urlsplit(url)
        key = (parts.hostname or "", parts.port or 0, parts.scheme)
        if key not in pools:
            pools[key] = Pool(url, timeout_s)
        ep.pool = pools[key]
        ep.wire = encode_request(ep.method, url, ep.headers, ep.body)
    return list(pools.values())


@contextlib.asynccontextmanager
async def _closing(pools: list[Pool]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for pool in pools:
            await pool.close()


async def run_worker(
    plan: WorkerPlan, t0: float, report: Report, stop: Callable[[], bool]
) -> Snapshot:
    """Run one worker's share from `t0` (a `perf_counter` time); return its final snapshot."""
    reason: list[str] = []

    def stopped() -> bool:
        return bool(reason) or stop()

    endpoints = [PreparedRequest.from_plan(i, e) for i, e in enumerate(plan.endpoints)]
    mix = [endpoints[k] for k in weighted_cycle([e.weight for e in plan.endpoints])]
    rec = Recorder(
        [e.name for e in plan.endpoints], t0, plan.window_s, plan.windows, plan.abort_window
    )
    ws_conns = plan.websocket.connections if plan.websocket else 0
    deadline = t0 + plan.duration_s
    cpu0 = time.process_time()
    pools = _lean_pools(endpoints, plan.timeout_s) if plan.client == "lean" else []
    async with (
        make_session(plan.connections + ws_conns, plan.timeout_s) as session,
        _closing(pools),
    ):
        load = HttpLoad(
            session,
            rec,
            mix,
            max_in_flight=plan.max_in_flight,
            connections=plan.connections,
            late_after_s=plan.late_after_s,
            stopped=stopped,
        )
        jobs: list[Coroutine[Any, Any, None]] = []
        if endpoints and plan.closed_concurrency:
            jobs.append(load.closed_model(plan.closed_concurrency, deadline))
        elif endpoints:
            schedule = Schedule(plan.stages, plan.start_rate)
            jobs.append(load.open_model(schedule, t0, plan.index, plan.count, plan.max_requests))
        if plan.websocket is not None and plan.websocket.connections:
            ws = plan.websocket
            exchange = Exchange(
                ws.url, ws.headers, ws.message, ws.replies, ws.until, ws.interval_s, plan.timeout_s
            )
            jobs.append(
                hold_connections(
                    session,
                    rec,
                    exchange,
                    connections=ws.connections,
                    deadline=deadline,
                    stopped=stopped,
                    prefix=f"{plan.index}-",
                )
            )
        delay = t0 - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        work = asyncio.gather(*jobs)
        watcher = asyncio.ensure_future(_watch(plan, rec, t0, report, reason, stopped))
        try:
            await work
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    elapsed = max(perf_counter() - t0, 1e-9)
    meta = replace(
        plan.meta,
        elapsed_s=elapsed,
        cpu=(time.process_time() - cpu0) / elapsed,
        aborted=reason[0] if reason else None,
        workers=1,
    )
    final = rec.snapshot(meta)
    report(final, True)
    return final


async def _watch(
    plan: WorkerPlan,
    rec: Recorder,
    t0: float,
    report: Report,
    reason: list[str],
    stopped: Callable[[], bool],
) -> None:
    """Every tick: stop on a down target; every REPORT_S: send a cumulative snapshot."""
    next_report = perf_counter() + REPORT_S
    while not stopped():
        await asyncio.sleep(TICK_S)
        rate = rec.recent_failure_rate()
        if rate is not None and rate >= plan.abort_error_rate:
            kinds = dict(rec.errors) or {"failed status": rec.recent_failed}
            top = ", ".join(
                f"{k}: {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:3]
            )
            reason.append(
                f"target looks down: {rate:.0%} of the last {plan.abort_window} requests failed "
                f"({top}); stopped early so a broken deployment is not hammered"
            )
            return
        now = perf_counter()
        if plan.interim and now >= next_report:
            next_report = now + REPORT_S
            snap = rec.snapshot(replace(plan.meta, elapsed_s=now - t0))
            snap.timeline = []
            report(snap, False)


def run_loop(main: Coroutine[Any, Any, Any]) -> Any:
    """Run `main` on uvloop when it is importable, else on asyncio's default loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux/macOS
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def worker_main(plan: WorkerPlan, queue: Any, stop_event: Event, start: Any) -> None:
    """Process entry point: report "ready", wait for the start time, run, send "final"."""
    try:
        queue.put(("ready", plan.index, os.getpid()))
        while start.value <= 0:
            if stop_event.wait(0.01):
                return
        t0 = start.value

        def report(snap: Snapshot, final: bool) -> None:
            queue.put(("final" if final else "snapshot", plan.index, snap.to_json()))

        run_loop(run_worker(plan, t0, report, stop_event.is_set))
    except BaseException as exc:  # reported to the parent, which blocks with it
        queue.put(("error", plan.index, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
