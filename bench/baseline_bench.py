"""Baseline comparison benchmark: two 1,000,000-request runs, many endpoints, compared.

    .venv/bin/python bench/baseline_bench.py [--requests 1000000] [--endpoints 50] [--repeat 5]

Method (printed again with the results):
- Two `Snapshot`s are built the way the engine records them (`Recorder.http`, one histogram per
  endpoint plus the total, 3 significant digits): N requests each, spread evenly over E
  endpoints, latencies log-normal around 20 ms (sigma 0.5); the second run is 8 % slower on half
  of the endpoints, and 1 % of its requests fail. Building them is not timed.
- Timed: `gate.baseline.compare` on a result with a stress suite, i.e. reading every endpoint's
  buckets, the Mann-Whitney U with ties, the Hodges-Lehmann shift, p50/p95/p99 and the
  two-proportion test, for E endpoints and the total; best and median of `--repeat` runs of
  `time.perf_counter` around the call (CPU time with `time.process_time`).
- Also timed alone: the same on one endpoint holding all N requests (the widest histogram).
The machine may be shared and noisy: run it more than once before quoting a figure.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from gate.baseline import Baseline, compare
from gate.config.baseline import BaselineConfig
from gate.model import BaselineSource, GateResult, Outcome, SuiteResult, Verdict
from gate.stress.meta import RunMeta
from gate.stress.metrics import Snapshot
from gate.stress.recorder import Recorder
from gate.stress.request import EndpointPlan, PreparedRequest


def build(requests: int, endpoints: int, slower: float, fail_every: int, seed: int) -> Snapshot:
    rng = random.Random(seed)
    plans = [
        EndpointPlan(f"GET /e{i}", "GET", "http://127.0.0.1/", {}, None, None)
        for i in range(endpoints)
    ]
    prepared = [PreparedRequest.from_plan(i, p) for i, p in enumerate(plans)]
    rec = Recorder([p.name for p in plans], 0.0, 1.0, 60, 100)
    for n in range(requests):
        i = n % endpoints
        latency = rng.lognormvariate(-3.9, 0.5) * (slower if i % 2 else 1.0)  # ~20 ms
        status = 500 if fail_every and n % fail_every == 0 else 200
        rec.http(prepared[i], 0.0, 0.0, latency, status, None)
    return rec.snapshot(RunMeta(target_rate=1000.0, planned_duration_s=1000.0, elapsed_s=1000.0))


def timed(now: Snapshot, base: Snapshot, repeat: int) -> tuple[float, float, float, int]:
    result = GateResult(
        Verdict.PASS, Outcome.PASSED, suites=[SuiteResult("stress", Outcome.PASSED)]
    )
    baseline = Baseline(result, base, BaselineSource(path="bench"))
    walls, cpus = [], []
    rows = 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        judged = compare(result, now, baseline, BaselineConfig())
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert judged.baseline is not None
        rows = len(judged.baseline.endpoints)
    return min(walls), statistics.median(walls), min(cpus), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(__doc__.split("Method", 1)[1].split("The machine")[0].strip(), "\n")
    started = time.perf_counter()
    base = build(args.requests, args.endpoints, 1.0, 0, seed=1)
    now = build(args.requests, args.endpoints, 1.08, 100, seed=2)
    wide_base = build(args.requests, 1, 1.0, 0, seed=3)
    wide_now = build(args.requests, 1, 1.08, 100, seed=4)
    print(f"(built 4 runs of {args.requests:,} requests in {time.perf_counter() - started:.1f} s)")
    for label, pair in (
        (f"{args.endpoints} endpoints + total", (now, base)),
        ("1 endpoint (all requests)", (wide_now, wide_base)),
    ):
        best, median, cpu, rows = timed(*pair, args.repeat)
        print(
            f"compare, {label}: {rows} rows, wall best {best * 1000:.0f} ms, "
            f"median {median * 1000:.0f} ms, CPU best {cpu * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
