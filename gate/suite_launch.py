"""How a check suite's pytest process is started, so that it behaves the same in any repository.

The gate runs inside other people's repositories, whose pytest set-up is made for their unit
tests: `addopts` naming plugins the gate's environment lacks (`--cov`, `-n auto`), a root
`conftest.py` with an autouse fixture that needs a database, a `.venv` inside the repository
(so the installed check modules sit under the user's rootdir), a `gate/` folder in the working
directory. None of it may change what the built-in checks do, so they run isolated:

- `python -P` and `PYTHONPATH` = the folder the running gate was imported from: the working
  directory is not on `sys.path`, nothing there shadows the installed package;
- `-c suite_pytest.ini --rootdir <that folder>`: the gate's own ini, never the user's, and
  test names (`gate/checks/smoke.py::...`) that do not depend on where the gate is installed;
- `--noconftest`: no `conftest.py` applies;
- `PYTEST_DISABLE_PLUGIN_AUTOLOAD=1` with `-p gate.plugin`, and no `PYTEST_ADDOPTS` or
  `PYTEST_PLUGINS`: no plugin but the gate's.

A user's own E2E tests (`[e2e] pytest`) run as their tests: their `conftest.py` files apply from
the project folder (the configuration file's folder, or the folder it shares with the test
paths) down; plugins installed in the gate's environment load (that is what `requirements` are
for). Their ini and `PYTEST_ADDOPTS` apply only with `[e2e] inherit_ini = true`; otherwise the
gate's ini is used and `[e2e] pytest_args` are the options. When `[e2e]` has both flows and
pytest paths they run as two processes, so a user conftest never reaches the built-in module.
"""

from __future__ import annotations

import configparser
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gate.checks import CHECKS_DIR, pytest_targets
from gate.config import GateConfig

GATE_INI = Path(__file__).with_name("suite_pytest.ini")
# The folder `import gate` found the running package in: the child imports the same one.
GATE_HOME = Path(__file__).resolve().parent.parent
_USER_PYTEST_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")
_INI_NAMES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


@dataclass(frozen=True, slots=True)
class Launch:
    """One pytest process of a suite: `python <python_args> -m pytest <pytest_args>`.

    `part` is "" for the suite's main process and "flows" for the built-in flows when a user's
    tests run beside them; `hint` is added to the crash detail when pytest stops on a usage
    error (exit 4), to say whose configuration caused it.
    """

    part: str
    pytest_args: list[str]
    env: dict[str, str]
    python_args: list[str] = field(default_factory=lambda: ["-P"])
    hint: str = ""


def suite_launches(
    suite: str, config: GateConfig, *, target: str, config_path: Path | None
) -> list[Launch]:
    """The pytest processes that run `suite` ("smoke" or "e2e"), in order."""
    targets = pytest_targets(suite, config)
    builtin = [t for t in targets if Path(t).parent == CHECKS_DIR]
    user = [t for t in targets if t not in builtin]
    gate_args = ["-p", "gate.plugin", "--gate-target", target]
    if config_path is not None:
        gate_args += ["--gate-config", str(config_path)]
    launches = []
    if builtin or not user:
        part = "flows" if user else ""
        launches.append(Launch(part, [*isolated_args(), *gate_args, *builtin], isolated_env()))
    if user:
        launches.append(_user_launch(config, user, gate_args))
    return launches


def isolated_args() -> list[str]:
    """pytest options for the gate's own modules: its ini and rootdir, no conftest."""
    return ["-c", str(GATE_INI), "--rootdir", str(GATE_HOME), "--noconftest"]


def isolated_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in (base or dict(os.environ)).items() if k not in _USER_PYTEST_ENV}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONPATH"] = str(GATE_HOME)
    return env


def _user_launch(config: GateConfig, paths: list[str], gate_args: list[str]) -> Launch:
    assert config.e2e is not None  # pytest_targets returns user paths only with [e2e]
    project = project_folder(config, paths)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GATE_HOME), env.get("PYTHONPATH")]))
    extra = list(config.e2e.pytest_args)
    where = f"{config.source}: [e2e] pytest_args = {extra!r}" if extra else ""
    ini = find_ini(project) if config.e2e.inherit_ini else None
    if ini is not None:
        args = ["-c", str(ini), "--rootdir", str(ini.parent), "--confcutdir", str(ini.parent)]
        hint = (
            f"this is your pytest configuration: {ini} (inherited because {config.source} sets "
            "[e2e] inherit_ini = true)"
            + (f" and {where}" if where else "")
            + "; fix it there, install the plugins it names with [e2e] requirements, or set "
            "inherit_ini = false and pass only the options the E2E tests need in pytest_args"
        )
    else:
        env = {k: v for k, v in env.items() if k not in _USER_PYTEST_ENV}
        args = ["-c", str(GATE_INI), "--rootdir", str(project), "--confcutdir", str(project)]
        hint = f"check the options in {where}" if where else ""
    pytest_args = [*args, *gate_args, *extra, *paths]
    return Launch("", pytest_args, env, hint=hint)


def project_folder(config: GateConfig, paths: list[str]) -> Path:
    """The user's project: the configuration's folder, or the folder it shares with the test
    paths when they lie outside it (`pytest = ["../tests/e2e"]`)."""
    source = Path(config.source)
    base = source.parent.resolve() if source.is_file() else Path.cwd().resolve()
    folders = [base, *(Path(p.split("::", 1)[0]).parent for p in paths)]
    return Path(os.path.commonpath([str(f) for f in folders]))


def find_ini(start: Path) -> Path | None:
    """The pytest configuration file pytest would use for a run in `start`, searching upward."""
    for folder in (start, *start.parents):
        for name in _INI_NAMES:
            path = folder / name
            if path.is_file() and _has_pytest_section(path):
                return path
    return None


def _has_pytest_section(path: Path) -> bool:
    if path.name in ("pytest.ini", ".pytest.ini"):
        return True
    try:
        if path.suffix == ".toml":
            tool = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
            return "ini_options" in tool.get("pytest", {})
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
    except (OSError, ValueError, configparser.Error):
        return False
    return parser.has_section("tool:pytest" if path.name == "setup.cfg" else "pytest")
