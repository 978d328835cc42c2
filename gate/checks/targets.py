"""The pytest paths the runner gives each suite, and the built-in check modules' folder.

The check modules live inside the `gate` package so that installing deploy-gate adds no generic
top-level `checks` package to site-packages; the runner runs them by file path.
"""

from __future__ import annotations

from pathlib import Path

from gate.config import GateConfig
from gate.config.keys import positions
from gate.errors import ConfigError, UsageError

CHECKS_DIR = Path(__file__).parent
# The one parameter of a check function with nothing configured; the plugin deselects it (an
# empty parameter set would be reported as a skip, and skips count against the budget).
NOTHING_CONFIGURED = "nothing configured"
SMOKE_MODULE = CHECKS_DIR / "smoke.py"
FLOWS_MODULE = CHECKS_DIR / "e2e.py"


def pytest_targets(suite: str, config: GateConfig) -> list[str]:
    """The pytest arguments (file paths) that run `suite` ("smoke" or "e2e").

    A configured suite always gets at least one path: with no checks in it, pytest collects zero
    tests (exit 5, inconclusive), instead of being started without paths and collecting whatever
    lies in the working directory. An unconfigured suite (no `[smoke]`/`[e2e]`) gets `[]`. A user
    path that does not exist is a `ConfigError` (exit 2); identities were checked with the config.
    """
    if suite == "smoke":
        if config.smoke is None:
            return []
        return [str(SMOKE_MODULE)]
    if suite == "e2e":
        if config.e2e is None:
            return []
        users = [str(p) for p in _user_paths(config)]
        return [str(FLOWS_MODULE), *users] if config.e2e.flows or not users else users
    raise UsageError(f"no built-in pytest checks for suite {suite!r} (expected smoke or e2e)")


def _user_paths(config: GateConfig) -> list[Path]:
    """`[e2e] pytest` entries, relative to the configuration file's folder."""
    assert config.e2e is not None
    source = Path(config.source)
    base = source.parent if source.is_file() else Path.cwd()
    paths = []
    for index, entry in enumerate(config.e2e.pytest):
        name, _, selector = entry.partition("::")
        path = (base / name).resolve()
        if not path.exists():
            raise ConfigError(
                f"{config.source}: key 'e2e.pytest[{index}]': {name!r} does not exist "
                f"(looked at {path}){positions(f'pytest[{index}]')}"
            )
        paths.append(Path(f"{path}::{selector}") if selector else path)
    return paths
