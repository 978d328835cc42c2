"""`gate report JUNIT... [--config F] [--out DIR]`: a verdict from JUnit files any tool wrote.

Suite naming: a file matching a `[policy.suites.NAME] junit = [...]` pattern belongs to suite
NAME; any other file belongs to the suite named after the input argument that found it (a
file's stem, a folder's name, a glob's fixed folder part). Inputs giving the same name share a
suite, so `gate report run1/junit.xml rerun/junit.xml` folds a rerun into the first run.
A missing path, a glob matching nothing or a folder without XML is an `error` outcome (a block,
exit 1) naming the input, like an unreadable file; a bad `--config` is exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
from fnmatch import fnmatchcase
from pathlib import Path

from gate.config import load_config
from gate.config.schema import GateConfig
from gate.junit import expand, suite_name_for
from gate.model import SuiteRun
from gate.pipeline import against_baseline, decide, emit, open_baseline
from gate.reports import remove_reports


def main(args: argparse.Namespace) -> int:
    remove_reports(Path(args.out))  # no earlier result may outlive a failure of this one
    config = load_config(args.config)
    print(f"gate report: {config_used(config)}", flush=True)
    baseline = open_baseline(args.baseline, missing_ok=args.baseline_missing_ok)
    runs = suite_runs(args.junit, config)
    # No target: this command checked none, whatever the config's `target` says. One duration:
    # the suites' own (from their JUnit), in the headline and in the table's total alike.
    decision = decide(runs, config, target=None, duration_s=0.0)
    result = against_baseline(decision.result, baseline, Path(args.out), config)
    result.duration_s = sum(suite.duration_s for suite in result.suites)
    decision.result = result
    return emit(decision, Path(args.out), secrets=config.secret_values)


def config_used(config: GateConfig) -> str:
    """Which configuration the policy came from, so a stray `./gate.toml` is never silent."""
    if Path(config.source).is_file():
        return f"policy from {config.source}"
    return (
        "no configuration file (--config, $GATE_CONFIG, ./gate.toml or [tool.gate] in "
        "./pyproject.toml): the default policy"
    )


def suite_runs(inputs: list[str], config: GateConfig) -> list[SuiteRun]:
    """Group the inputs' files into named suites (see the module docstring)."""
    patterns = {name: s.junit for name, s in config.policy.suites.items() if s.junit}
    runs: dict[str, SuiteRun] = {}

    def put(name: str, item: Path) -> None:
        run = runs.setdefault(name, SuiteRun(name=name))
        if item not in run.junit:
            run.junit.append(item)

    for spec in inputs:
        found = expand(spec)
        default = suite_name_for(spec)
        if found.errors:
            put(default, Path(spec))  # read_junit reports the error under this suite
        for file in found.files:
            put(_configured_suite(file, patterns) or default, file)
    return list(runs.values())


def _configured_suite(file: Path, patterns: dict[str, list[str]]) -> str | None:
    candidates = {file.as_posix()}
    with contextlib.suppress(ValueError):
        candidates.add(file.resolve().relative_to(Path.cwd().resolve()).as_posix())
    for name, globs in patterns.items():
        for pattern in globs:
            variants = {pattern, pattern.replace("**/", "")}
            if any(fnmatchcase(c, v) for c in candidates for v in variants):
                return name
    return None
