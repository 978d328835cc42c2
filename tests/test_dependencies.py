"""What the package imports is what it declares: a module imported only because another
dependency happens to pull it in breaks when that dependency changes its own requirements."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_top_level_modules() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "gate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"gate", "__future__"}


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        _normalise(re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0])
        for spec in project["dependencies"]
    }


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_is_a_declared_dependency() -> None:
    owners = packages_distributions()
    declared = declared_distributions()
    modules = imported_top_level_modules()
    assert {"httpx", "pydantic", "requests", "yarl"} <= modules
    undeclared = {
        module: owners.get(module)
        for module in modules
        if not any(_normalise(dist) in declared for dist in owners.get(module, []))
    }
    assert not undeclared, f"imported but not declared in [project] dependencies: {undeclared}"
