"""The declared public Python surface (`__all__`), pinned: changing it is a deliberate edit here.

Also: a package's `__init__.py` only re-exports (its logic lives in a module of its own).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import gate

PACKAGE = Path(gate.__file__).parent

PUBLIC = {
    "gate": ["__version__"],
    "gate.baseline": ["Baseline", "BaselineError", "compare", "load_baseline", "write_provenance"],
    "gate.checks": [
        "CHECKS_DIR",
        "FLOWS_MODULE",
        "NOTHING_CONFIGURED",
        "SMOKE_MODULE",
        "pytest_targets",
    ],
    "gate.config": [
        "GateConfig",
        "SUITES",
        "SuiteName",
        "load_config",
        "parse_suites",
        "validate_config",
    ],
    "gate.demo": ["BUNDLED_CONFIG", "DemoError", "FAULTS", "describe_faults", "launch"],
    "gate.errors": [
        "ArtifactRefused",
        "BaselineError",
        "ConfigError",
        "DEBUG_VAR",
        "DemoError",
        "GateError",
        "InputError",
        "JUnitReadError",
        "PublishError",
        "UsageError",
        "print_debug_traceback",
    ],
    "gate.github": [
        "GITHUB_SURFACES",
        "GitHubContext",
        "Overrides",
        "PublishError",
        "PublishOptions",
        "PublishReport",
        "publish",
        "read_context",
    ],
    "gate.junit": [
        "AttributeCounts",
        "FoldedCase",
        "JUnitData",
        "case_id",
        "expand",
        "read_junit",
        "suite_name_for",
    ],
    "gate.reports": [
        "DEFAULT_LIMIT",
        "print_summary",
        "remove_reports",
        "render_markdown",
        "result_json",
        "workflow_commands",
        "write_reports",
    ],
    "gate.stress": ["StressRun", "run_stress"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_the_pinned_surface(module: str) -> None:
    declared = importlib.import_module(module).__all__
    assert sorted(declared) == PUBLIC[module]
    assert len(set(declared)) == len(declared)


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_every_name_in_all_resolves(module: str) -> None:
    imported = importlib.import_module(module)
    for name in imported.__all__:
        assert getattr(imported, name) is not None, f"{module}.{name}"


def test_every_package_declares_its_surface() -> None:
    """A new subpackage gets an `__all__` (and a line above) or is deliberately internal."""
    internal = {"gate.commands", "gate.demo.e2e"}  # subcommands; a user-style test folder
    packages = {
        ".".join(init.parent.relative_to(PACKAGE.parent).parts)
        for init in PACKAGE.rglob("__init__.py")
    }
    assert packages - internal == set(PUBLIC) - {"gate.errors"}


def _logic_in(init: Path) -> list[str]:
    """Statements of an `__init__.py` other than its docstring, imports and `__all__`."""
    found = []
    for index, node in enumerate(ast.parse(init.read_text(encoding="utf-8")).body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id in ("__all__", "__version__") for t in node.targets
        ):
            continue
        found.append(f"{init.relative_to(PACKAGE.parent)}:{node.lineno}: {ast.unparse(node)[:60]}")
    return found


def test_init_modules_only_re_export() -> None:
    """Logic lives in a module of its own. `gate.stress` re-exports lazily (a module
    `__getattr__` behind `if TYPE_CHECKING`), so that reading a config never loads the engine."""
    logic = [line for init in sorted(PACKAGE.rglob("__init__.py")) for line in _logic_in(init)]
    lazy = [line for line in logic if line.startswith("gate/stress/__init__.py:")]
    assert [line for line in logic if line not in lazy] == []
    assert [line.split(": ", 1)[1].split("\n")[0] for line in lazy] == [
        "if TYPE_CHECKING:",
        "def __getattr__(name: str) -> Any:",
    ]
