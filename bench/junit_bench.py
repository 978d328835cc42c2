"""Benchmark: `gate report` against a minimal stdlib `iterparse` loop, at two failure densities.

Run by hand (never part of the test run): `nice .venv/bin/python bench/junit_bench.py
[--cases N] [--rounds R] [--density light,heavy]`. Results and method: bench/README.md.

For each density it writes a Surefire-like JUnit file with `--cases` testcases into a temporary
directory:

- `light`: 0.6% not passed: per 1,000 testcases one failure (40-line trace, failed again in a
  `rerunFailure`), one error, three skipped, one `flakyFailure` (0.1% failures);
- `heavy`: 9% not passed: 3% failures and 1% errors with 25-line stack traces, 4% skipped,
  1% `flakyFailure`.

Then it runs, one after the other, each as its own subprocess so that peak RSS is measured per
process:

1. the minimal loop: `xml.etree.ElementTree.iterparse` with element clearing that only counts
   outcomes (what any reader must at least do), and
2. `gate report FILE --out DIR` (safe prolog check, rerun folding, policy, result.json,
   summary.md, copied and merged JUnit), and
3. `gate.junit.read_junit` alone, to show what reading costs without imports and outputs.

Wall time is measured around each subprocess (interpreter start and imports included); peak
RSS is the child's `ru_maxrss` read from `os.wait4` (Linux: KiB). The methods alternate for
`--rounds` rounds and the best and median wall times are printed: the machine is shared, so
single numbers vary a lot from run to run; CPU time (user+sys) is printed too, as it suffers
less from other processes than wall time does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Density:
    """Which testcases of every `period` are which kind (the rest pass), and the trace size."""

    period: int
    failures: range
    errors: range
    skipped: range
    flaky: range
    trace_lines: int
    rerun: bool  # failures also carry a <rerunFailure> (failed again on a rerun)


DENSITIES = {
    "light": Density(1000, range(1, 2), range(2, 3), range(3, 6), range(6, 7), 40, True),
    "heavy": Density(100, range(1, 4), range(4, 5), range(5, 9), range(9, 10), 25, False),
}


def generate(path: Path, cases: int, density: Density) -> dict[str, int]:
    """Write a Surefire-like report with `cases` testcases; return the expected counts."""
    trace = "".join(
        f"\tat com.example.service.Module{i}.call(Module{i}.java:{100 + i})\n"
        for i in range(density.trace_lines)
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
            kind = i % density.period
            if kind in density.failures:
                counts["failed"] += 1
                rerun = (
                    '<rerunFailure message="still failing" type="AssertionError">'
                    f"<stackTrace>{trace}</stackTrace></rerunFailure>"
                    if density.rerun
                    else ""
                )
                out.write(
                    f'{head}><failure message="expected:&lt;{i}&gt; but was:&lt;0&gt;" '
                    f'type="org.opentest4j.AssertionFailedError">org.opentest4j.'
                    f"AssertionFailedError: expected:&lt;{i}&gt;\n{trace}</failure>"
                    f"{rerun}</testcase>\n"
                )
            elif kind in density.errors:
                counts["errors"] += 1
                out.write(
                    f'{head}><error message="Connection refused" type="java.net.'
                    f'ConnectException">java.net.ConnectException\n{trace}</error></testcase>\n'
                )
            elif kind in density.skipped:
                counts["skipped"] += 1
                out.write(f'{head}><skipped message="feature flag off"/></testcase>\n')
            elif kind in density.flaky:  # passed on retry
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


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run `cmd`; return (wall s, CPU s (user+sys), peak RSS MiB, its output's last line)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    last = output.strip().splitlines()[-1] if output.strip() else ""
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, f"exit {proc.returncode}: {last[:160]}"


def bench_density(name: str, args: argparse.Namespace, tmp: Path) -> tuple[float, float, float]:
    """Generate and measure one density; return (wall ratio, CPU ratio, gate peak RSS MiB)."""
    report = tmp / f"TEST-com.example.{name}.xml"
    start = time.perf_counter()
    expected = generate(report, args.cases, DENSITIES[name])
    size = report.stat().st_size / 2**20
    took = time.perf_counter() - start
    print(f"\n== density {name}: {args.cases:,} testcases, {size:.0f} MiB (made in {took:.1f} s)")
    print(f"expected: {expected}")
    loop = tmp / "minimal_loop.py"
    loop.write_text(MINIMAL_LOOP)
    out = tmp / f"out-{name}"
    gate = [sys.executable, "-m", "gate", "report", str(report), "--out", str(out)]
    reader = [sys.executable, "-c", READER_ONLY, str(report)]
    methods = {
        "minimal stdlib iterparse loop": [sys.executable, str(loop), str(report)],
        "gate report (read+fold+policy+outputs)": gate,
        "gate.junit.read_junit alone": reader,
    }
    runs: dict[str, list[tuple[float, float, float, str]]] = {name: [] for name in methods}
    # An installed package has its bytecode compiled; with PYTHONDONTWRITEBYTECODE set (as on
    # some CI machines) every run would compile the gate's modules again. Bytecode goes to a
    # cache folder of the bench's own, warmed by one untimed run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    tiny = tmp / "tiny.xml"
    tiny.write_text('<testsuite name="t"><testcase classname="c" name="t"/></testsuite>\n')
    measure([*gate[:4], str(tiny), "--out", str(tmp / "out-warm")], env)
    for _ in range(args.rounds):  # alternate, so all see the same machine load
        for method, cmd in methods.items():
            # A fresh output folder each time, as on a CI runner, removed before the clock
            # starts: replacing the last round's 322 MiB of copies cost the kernel 0.3-0.7 s.
            shutil.rmtree(out, ignore_errors=True)
            runs[method].append(measure(cmd, env))
    header = f"{'method':<40} {'wall best':>9} {'wall median':>11} {'CPU best':>9}"
    header += f" {'peak RSS':>9}"
    print(f"{header}\n{'':<40} {'s':>9} {'s':>11} {'s':>9} {'MiB':>9}")
    best: dict[str, tuple[float, float, float]] = {}
    for method, results in runs.items():
        walls = sorted(r[0] for r in results)
        cpus = sorted(r[1] for r in results)
        rss = max(r[2] for r in results)
        best[method] = (walls[0], cpus[0], rss)
        median = walls[len(walls) // 2]
        print(f"{method:<40} {walls[0]:>9.2f} {median:>11.2f} {cpus[0]:>9.2f} {rss:>9.1f}")
    for method, results in runs.items():
        print(f"  {method}: {results[-1][3]}")
    (min_wall, min_cpu, _), (gate_wall, gate_cpu, gate_rss), _ = best.values()
    return gate_wall / min_wall, gate_cpu / min_cpu, gate_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each method")
    parser.add_argument("--density", default="light,heavy", help="comma list of: light, heavy")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    names = [n.strip() for n in args.density.split(",") if n.strip()]
    unknown = [n for n in names if n not in DENSITIES]
    if unknown:
        parser.error(f"unknown density {', '.join(unknown)}; expected: {', '.join(DENSITIES)}")
    tmp = Path(tempfile.mkdtemp(prefix="junit-bench-"))
    try:
        summary = {name: bench_density(name, args, tmp) for name in names}
        print(f"\n== gate report / minimal loop, best of {args.rounds} each")
        print("   goal: wall <= 2x the minimal loop, peak RSS < 100 MiB")
        for name, (wall, cpu, rss) in summary.items():
            verdict = "meets" if wall <= 2 and rss < 100 else "MISSES"
            print(
                f"{name:<6} wall {wall:.2f}x  CPU {cpu:.2f}x  peak RSS {rss:.1f} MiB: "
                f"{verdict} the goal"
            )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
