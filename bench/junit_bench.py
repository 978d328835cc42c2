"""Benchmark: `gate report` against a minimal stdlib `iterparse` loop on 1,000,000 testcases.

Run by hand (never part of the test run): `.venv/bin/python bench/junit_bench.py [--cases N]`.
It writes a Surefire-like JUnit file (failures with long traces, skips, errors, flakyFailure and
rerunFailure elements) into a temporary directory, then runs, one after the other, each as its
own subprocess so that peak RSS is measured per process:

1. the minimal loop: `xml.etree.ElementTree.iterparse` with element clearing that only counts
   outcomes (what any reader must at least do), and
2. `gate report FILE --out DIR` (safe prolog check, rerun folding, policy, result.json,
   summary.md, merged JUnit), and
3. `gate.junit.read_junit` alone, to show what reading costs without imports and outputs.

Wall time is measured around each subprocess (interpreter start and imports included); peak
RSS is the child's `ru_maxrss` read from `os.wait4` (Linux: KiB). The two methods alternate for
`--rounds` rounds and the best and median wall times are printed: the machine is shared, so
single numbers vary a lot from run to run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRACE_LINES = 40

MINIMAL_LOOP = r"""
import sys
import xml.etree.ElementTree as ET
counts = {"passed": 0, "failure": 0, "error": 0, "skipped": 0, "flaky": 0}
context = ET.iterparse(sys.argv[1], events=("start", "end"))
_, root = next(context)
for event, elem in context:
    if event == "end" and elem.tag == "testcase":
        kind = "passed"
        for child in elem:
            if child.tag in ("failure", "error", "skipped"):
                kind = child.tag
                break
            if child.tag in ("flakyFailure", "flakyError"):
                kind = "flaky"
        counts[kind] += 1
        root.clear()
print(counts)
"""

READER_ONLY = (
    "import sys; from gate.junit import read_junit; d = read_junit([sys.argv[1]]); "
    "print(d.passed, len(d.cases), d.testcases)"
)


def generate(path: Path, cases: int) -> dict[str, int]:
    """Write a Surefire-like report with `cases` testcases; return the expected counts."""
    trace = "".join(
        f"\tat com.example.service.Module{i}.call(Module{i}.java:{100 + i})\n"
        for i in range(TRACE_LINES)
    )
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "flaky": 0}
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            '<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="3.0" '
            f'name="com.example.BigTest" time="1234.5" tests="{cases}" errors="0" skipped="0" '
            'failures="0">\n<properties><property name="java.version" value="21"/></properties>\n'
        )
        for i in range(cases):
            cls = f"com.example.pkg{i % 97}.FeatureTest{i % 1013}"
            head = f'<testcase name="test_{i}" classname="{cls}" time="0.{i % 1000:03d}"'
            kind = i % 1000
            if kind == 1:  # failure with a long trace, failed again on rerun
                counts["failed"] += 1
                out.write(
                    f'{head}><failure message="expected:&lt;{i}&gt; but was:&lt;0&gt;" '
                    f'type="org.opentest4j.AssertionFailedError">org.opentest4j.'
                    f"AssertionFailedError: expected:&lt;{i}&gt;\n{trace}</failure>"
                    f'<rerunFailure message="still failing" type="AssertionError">'
                    f"<stackTrace>{trace}</stackTrace></rerunFailure></testcase>\n"
                )
            elif kind == 2:
                counts["errors"] += 1
                out.write(
                    f'{head}><error message="Connection refused" type="java.net.'
                    f'ConnectException">java.net.ConnectException\n{trace}</error></testcase>\n'
                )
            elif kind in (3, 4, 5):
                counts["skipped"] += 1
                out.write(f'{head}><skipped message="feature flag off"/></testcase>\n')
            elif kind == 6:  # passed on retry
                counts["flaky"] += 1
                counts["passed"] += 1
                out.write(
                    f'{head}><flakyFailure message="timeout" type="java.util.concurrent.'
                    f'TimeoutException"><stackTrace>{trace}</stackTrace></flakyFailure>'
                    "</testcase>\n"
                )
            else:
                counts["passed"] += 1
                out.write(f"{head}/>\n")
        out.write("</testsuite>\n")
    return counts


def measure(cmd: list[str]) -> tuple[float, float, float, str]:
    """Run `cmd`; return (wall s, CPU s (user+sys), peak RSS MiB, its output's last line)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    last = output.strip().splitlines()[-1] if output.strip() else ""
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, f"exit {proc.returncode}: {last[:160]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each method")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="junit-bench-"))
    try:
        report = tmp / "TEST-com.example.BigTest.xml"
        start = time.perf_counter()
        expected = generate(report, args.cases)
        size = report.stat().st_size / 2**20
        took = time.perf_counter() - start
        print(f"generated {args.cases:,} testcases, {size:.0f} MiB in {took:.1f} s")
        print(f"expected: {expected}")
        loop = tmp / "minimal_loop.py"
        loop.write_text(MINIMAL_LOOP)
        gate = [sys.executable, "-m", "gate", "report", str(report), "--out", str(tmp / "out")]
        reader = [sys.executable, "-c", READER_ONLY, str(report)]
        methods = {
            "minimal stdlib iterparse loop": [sys.executable, str(loop), str(report)],
            "gate report (read+fold+policy+outputs)": gate,
            "gate.junit.read_junit alone": reader,
        }
        runs: dict[str, list[tuple[float, float, float, str]]] = {name: [] for name in methods}
        for _ in range(args.rounds):  # alternate, so both see the same machine load
            for name, cmd in methods.items():
                runs[name].append(measure(cmd))
        header = f"{'method':<40} {'wall best':>9} {'wall median':>11} {'CPU best':>9}"
        header += f" {'peak RSS':>9}"
        print(f"\n{header}\n{'':<40} {'s':>9} {'s':>11} {'s':>9} {'MiB':>9}")
        best: dict[str, tuple[float, float]] = {}
        for name, results in runs.items():
            walls = sorted(r[0] for r in results)
            cpus = sorted(r[1] for r in results)
            best[name] = (walls[0], cpus[0])
            rss = max(r[2] for r in results)
            median = walls[len(walls) // 2]
            print(f"{name:<40} {walls[0]:>9.2f} {median:>11.2f} {cpus[0]:>9.2f} {rss:>9.1f}")
        (min_wall, min_cpu), (gate_wall, gate_cpu), _ = best.values()
        print(
            f"\ngate/minimal, best of {args.rounds}: wall {gate_wall / min_wall:.2f}x, "
            f"CPU {gate_cpu / min_cpu:.2f}x (goal <= 2x); peak RSS goal < 100 MiB"
        )
        for name, results in runs.items():
            print(f"{name}: {results[-1][3]}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
