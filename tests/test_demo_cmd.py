"""`gate demo` end to end: the bundled service and configuration, a pass without a fault, and a
block naming the symptom for every fault."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gate.cli import main
from gate.demo import BUNDLED_CONFIG, FAULTS


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


def test_the_demo_tokens_do_not_leak_into_the_environment(tmp_path: Path) -> None:
    before = {k: os.environ.get(k) for k in ("DEMO_TOKEN", "DEMO_TOKEN_2")}
    main(["demo", "--fault", "down", "--out", str(tmp_path)])
    assert {k: os.environ.get(k) for k in before} == before
