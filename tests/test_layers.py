"""Data flows one way: config -> runner -> junit -> policy -> reports -> publishers.

A module may import its own stage, an earlier stage, or the shared modules (model, errors,
redact); never a later stage, not even inside a function. The command line and the action's
steps wire the stages together and may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gate

PACKAGE = Path(gate.__file__).parent
SHARED = 0
TOP = 99
# Longest prefix wins.
STAGES = {
    "gate": SHARED,
    "gate.model": SHARED,
    "gate.errors": SHARED,
    "gate.redact": SHARED,
    "gate.inputs": SHARED,  # paths, folders and globs -> files (runner --junit, JUnit reader)
    "gate.workflow_io": SHARED,  # workflow commands and step outputs (reports, publishers, action)
    "gate.config": 1,
    "gate.runner": 2,
    "gate.readiness": 2,
    "gate.suite_process": 2,
    "gate.suite_launch": 2,
    "gate.requirements": 2,
    "gate.stress_child": 2,
    "gate.checks": 2,
    "gate.plugin": 2,
    "gate.stress": 2,
    "gate.demo": 2,
    "gate.junit": 3,
    "gate.policy": 4,
    "gate.reports": 5,
    "gate.pipeline": 6,  # decide (junit + policy) and emit (reports)
    "gate.github": 7,
    "gate.cli": TOP,
    "gate.commands": TOP,
    "gate.action": TOP,
    "gate.__main__": TOP,
}


def stage(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in STAGES:
            return STAGES[prefix]
    raise AssertionError(f"{module}: no stage; add it to STAGES")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return [(name, line) for name, line in found if name == "gate" or name.startswith("gate.")]


def test_no_module_imports_a_later_stage() -> None:
    backwards = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        own = stage(name)
        for target, line in imported(ast.parse(path.read_text(encoding="utf-8"))):
            if stage(target) > own:
                backwards.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name} -> {target}")
    assert backwards == []
