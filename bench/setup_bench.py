"""Benchmark: installing deploy-gate into a fresh virtualenv with pip and with uv.

Run by hand (never part of the test run): `python3 bench/setup_bench.py [--rounds N]`.
What the action does on a runner without a cached environment, measured both ways:

- pip: `python3 -m venv V && V/bin/python -m pip install -q CHECKOUT`;
- uv:  `uv venv -q --python python3 V && uv pip install -q --python V/bin/python uv CHECKOUT`
       (the action also puts uv into the gate's venv, for `gate run --requirements`);
- and, once, the uv bootstrap the action does when uv is not on PATH:
  `python3 -m venv U && U/bin/python -m pip install -q uv`.

Caches are warm (one unmeasured round of each first), as on a runner whose pip/uv cache was
restored or a self-hosted runner; a cold run adds download time for both. Wall time is measured
around the whole command (venv creation included). The two methods alternate for `--rounds`
rounds and the best and median are printed: the machine is shared, so single numbers vary.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pip_install(venv: Path, source: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--disable-pip-version-check", str(source)], check=True)


def uv_install(venv: Path, source: Path, uv: str) -> None:
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([uv, "pip", "install", "-q", "--python", python, "uv", str(source)], check=True)


def uv_bootstrap(venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--disable-pip-version-check", "uv"], check=True)


def timed(work: object, *args: object) -> float:
    started = time.perf_counter()
    work(*args)  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    uv = shutil.which("uv")
    if not uv:
        print("uv is not on PATH: pip install uv")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        source = base / "deploy-gate"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "*cache*"))
        times: dict[str, list[float]] = {"pip": [], "uv": []}
        for round_ in range(args.rounds + 1):  # round 0 warms the caches
            for name in times:
                venv = base / f"{name}-{round_}"
                took = (
                    timed(pip_install, venv, source)
                    if name == "pip"
                    else timed(uv_install, venv, source, uv)
                )
                shutil.rmtree(venv)
                if round_:
                    times[name].append(took)
                print(f"round {round_} {name}: {took:.1f} s{' (warm-up)' if not round_ else ''}")
        boot = timed(uv_bootstrap, base / "uv-bootstrap")
    print(f"\nPython {sys.version.split()[0]}, uv {uv}, {args.rounds} rounds, warm caches")
    for name, values in times.items():
        print(f"{name:4} best {min(values):.1f} s  median {statistics.median(values):.1f} s")
    print(f"uv bootstrap (venv + pip install uv), once per runner cache: {boot:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
