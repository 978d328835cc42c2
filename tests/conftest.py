"""Shared pytest configuration. Fixture groups live in their own modules, loaded as plugins.

The suite runs in parallel (`pytest -n 4 --dist loadgroup`, see CONTRIBUTING.md). Some modules
form a group that one worker runs, one test after the other:
- `stress`: the load engine's tests measure whether the generator kept its schedule; two of
  them at once on two cores would each see the other's load;
- `install`: tests/test_isolation.py installs deploy-gate into fresh virtualenvs, in module
  fixtures that one worker then builds once;
- `prism`: tests/test_github_contract.py starts Prism on (a part of) GitHub's OpenAPI
  description in a module fixture: one worker starts it once, not each worker.
The `act` runs are not grouped: they are slow but not timing-sensitive (generous deadlines),
and spreading them over the workers keeps the suite short.

Bytecode: the suite starts hundreds of Python processes (suites' pytest, `gate` commands, the
action's steps under act). With `PYTHONDONTWRITEBYTECODE` set, as on the development machine,
each of them compiled every module it imported again (pytest's assertion rewriting of every
plugin included): a pytest child took 2.9 s of CPU instead of 0.6 s. So the suite's processes
write bytecode, into a cache folder of their own (`PYTHONPYCACHEPREFIX`, outside the checkout,
so no `__pycache__` appears in the source tree or the folders tests copy). The workers inherit
it: xdist starts them after this file is imported.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path, PurePath
from typing import Any

import pytest


def _bytecode_cache() -> None:
    prefix = os.environ.setdefault(
        "PYTHONPYCACHEPREFIX",
        str(Path(tempfile.gettempdir()) / f"deploy-gate-pycache-{os.getuid()}"),
    )
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.pycache_prefix = prefix  # this process too, for what it imports from now on
    sys.dont_write_bytecode = False


_bytecode_cache()

pytest_plugins = ["github_fixtures"]

LOAD_GROUPS = {
    "test_stress_engine": "stress",
    "test_stress_h1": "stress",
    "test_isolation": "install",
    "test_github_contract": "prism",
}


def _group(nodeid: str) -> str | None:
    return LOAD_GROUPS.get(PurePath(nodeid.split("::", 1)[0]).stem)


def pytest_configure(config: pytest.Config) -> None:
    # xdist registers this marker; without it (`-p no:xdist`) --strict-markers would refuse it.
    config.addinivalue_line("markers", "xdist_group(name): run the group on one xdist worker")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the grouped modules' tests with `xdist_group`, the documented way."""
    for item in items:
        group = _group(item.nodeid)
        if group and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(optionalhook=True)  # xdist may be absent or off (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` that groups by module name, not only by the `@group` suffix xdist
    adds to node ids: with pytest 9.2 and xdist 3.8 that suffix is no longer applied (node ids
    became structured; pytest-dev/pytest-xdist#1386), so the marks alone group nothing."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ModuleGroups(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid) or super()._split_scope(nodeid)

    return ModuleGroups(config, log)
