"""`gate demo` end to end: the bundled service and configuration, a pass without a fault, and a
block naming the symptom for every fault."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gate.cli import main
from gate.commands import demo as demo_cmd
from gate.config import GateConfig
from gate.demo import FAULTS

# What each fault must show in result.json's reasons: the symptom a person acts on.
SYMPTOMS = {
    "down": "last seen: connection refused",
    "slow": "over the 500 ms budget",
    "http500": "POST /api/jobs: status 500, expected 201",
    "ws1011": "closed 1011 (internal error)",
    "stuck": "still running after",
    "missing-event": "expected at least 1 'tool_completed', got 0",
    "bad-auth": "GET /api/me: status 200, expected 401",
    "skipped-tests": "skipped, budget 0",
    "event-leak": "events crossed users",
}
DEMO_TOKEN = re.compile(r"demo-[A-Za-z0-9_-]{24}")


def test_list_faults_prints_each_fault_with_what_it_breaks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(FAULTS)
    assert all(len(line.split()) > 3 for line in lines)


def test_unknown_fault_is_exit_2_listing_the_valid_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--fault", "meltdown"]) == 2
    err = capsys.readouterr().err
    assert "unknown fault 'meltdown'" in err
    assert all(name in err for name in FAULTS)


def test_every_fault_has_a_symptom_here() -> None:
    assert list(SYMPTOMS) == list(FAULTS)


def result_of(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "result.json").read_text()))


def symptoms(result: dict[str, Any]) -> str:
    """The reasons: the first thing a person reads about why it blocked."""
    return "\n".join(result["reasons"])


@pytest.mark.slow
def test_demo_passes_without_a_fault_and_leaks_no_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {k: os.environ.get(k) for k in ("DEMO_TOKEN", "DEMO_TOKEN_2")}
    assert main(["demo", "--out", str(tmp_path)]) == 0
    result = result_of(tmp_path)
    assert (result["verdict"], result["outcome"]) == ("pass", "passed")
    assert [s["name"] for s in result["suites"]] == ["smoke", "e2e", "stress"]
    assert result["totals"]["tests"] > 20
    assert result["stress"]["requests"] > 0
    assert {k: os.environ.get(k) for k in before} == before
    shown = capsys.readouterr()
    outputs = [shown.out, shown.err] + [
        f.read_text(errors="replace") for f in tmp_path.rglob("*") if f.is_file()
    ]
    assert not [DEMO_TOKEN.findall(text) for text in outputs if DEMO_TOKEN.search(text)]


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_blocks_naming_its_symptom(
    fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every symptom is named by smoke or e2e (a smoke block skips the rest anyway), so the
    # stress suite, which would load the machine for 4 s after an e2e block, is left out here;
    # the run without a fault above runs all three.
    real = demo_cmd.execute

    def without_stress(config: GateConfig, **options: Any) -> int:
        return real(config, **{**options, "suites": ["smoke", "e2e"]})

    monkeypatch.setattr(demo_cmd, "execute", without_stress)
    assert main(["demo", "--fault", fault, "--out", str(tmp_path)]) == 1
    result = result_of(tmp_path)
    assert result["verdict"] == "block"
    assert SYMPTOMS[fault] in symptoms(result), symptoms(result)


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
def test_sigterm_stops_the_suite_and_the_service_and_blocks(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "gate", "demo", "--out", str(tmp_path)]
    gate = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert gate.stdout is not None
    for line in gate.stdout:
        if line.startswith("gate: e2e: running"):
            break
    deadline = time.monotonic() + 10
    while len(children(gate.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the e2e suite's pytest is starting; the demo service runs already
    started = children(gate.pid)
    assert len(started) == 2
    gate.send_signal(signal.SIGTERM)
    rest = gate.stdout.read()
    assert gate.wait(timeout=30) == 1
    assert "interrupted: block" in rest
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)  # reaped by init once killed
    assert not [pid for pid in started if alive(pid)]
