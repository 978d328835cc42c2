"""Shared pytest configuration. Fixture groups live in their own modules, loaded as plugins.

The suite runs in parallel (`pytest -n 4 --dist loadgroup`, see CONTRIBUTING.md). Tests that are
sensitive to load, or that load the machine themselves, share an xdist group per kind, so two of
them never run at once: the stress engine's schedule checks, the `act` runs (each starts a
workflow with several Python processes) and the installs into fresh virtualenvs.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["github_fixtures"]

LOAD_GROUPS = {
    "test_stress_engine": "stress",
    "test_stress_h1": "stress",
    "test_action_act": "act",
    "test_action_user_repo": "act",
    "test_isolation": "install",
}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks to suffix the node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        group = LOAD_GROUPS.get(module.__name__.rpartition(".")[2]) if module else None
        if group and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
