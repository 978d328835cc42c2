"""The exceptions a caller may catch live in gate/errors.py, drawn in its docstring."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

import gate
from gate import errors
from gate.errors import GateError

PACKAGE = Path(gate.__file__).parent


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # runs the command line when imported
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _error_classes_defined_in_source() -> dict[str, str]:
    """Every class in the package whose bases name a gate error (by source, not by import)."""
    error_names = {"GateError"} | {c.__name__ for c in _subclasses(GateError)}
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases}
                if node.name in error_names or bases & error_names:
                    found[node.name] = str(path.relative_to(PACKAGE.parent))
    return found


def test_every_gate_error_is_defined_in_gate_errors() -> None:
    for name in _modules():  # import everything, so every subclass is registered
        importlib.import_module(name)
    strays = {
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _subclasses(GateError)
        if cls.__module__.startswith("gate") and cls.__module__ != "gate.errors"
    }
    assert strays == set(), "define these in gate/errors.py and re-export them"
    defined = _error_classes_defined_in_source()
    assert {name: path for name, path in defined.items() if path != "gate/errors.py"} == {}


def _drawn_tree(doc: str) -> dict[str, str | None]:
    """The docstring's drawing as {class: parent}; indentation is the depth."""
    tree: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^(\s*(?:[|+\-]\s*)*)([A-Z][A-Za-z]+)\s", line + " ")
        if not match or not hasattr(errors, match.group(2)):
            continue
        depth, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        tree[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return tree


def test_the_docstring_draws_every_gate_error_under_its_base() -> None:
    expected: dict[str, str | None] = {"GateError": None}
    for cls in _subclasses(GateError):
        if cls.__module__ == "gate.errors":
            expected[cls.__name__] = cls.__bases__[0].__name__
    assert _drawn_tree(errors.__doc__ or "") == expected


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("gate.junit.scan", "JUnitReadError"),
        ("gate.demo", "DemoError"),
        ("gate.action", "InputError"),
        ("gate.baseline", "BaselineError"),
        ("gate.baseline.source", "BaselineError"),
        ("gate.github.artifact", "ArtifactRefused"),
    ],
)
def test_old_import_paths_still_work(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)


def test_exit_code_bases() -> None:
    """UsageError (exit 2) vs a block (exit 1): moving the classes kept their bases."""
    assert issubclass(errors.BaselineError, errors.UsageError)
    assert issubclass(errors.ConfigError, errors.UsageError)
    for cls in (errors.InputError, errors.JUnitReadError, errors.DemoError, errors.PublishError):
        assert not issubclass(cls, errors.UsageError)
    assert issubclass(errors.ArtifactRefused, errors.PublishError)
    assert inspect.signature(errors.InputError).parameters.keys() == {"name", "message"}
