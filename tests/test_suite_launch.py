"""How suites' pytest processes are started (gate/suite_launch.py); the end-to-end proof that
this isolates them is in tests/test_isolation.py."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from gate.config import load_config
from gate.redact import Redactor
from gate.suite_launch import GATE_HOME, GATE_INI, find_ini, suite_launches
from gate.suite_process import SuiteProcess, run_pytest

TARGET = "http://127.0.0.1:9"


def config_file(folder: Path, text: str) -> Path:
    path = folder / "gate.toml"
    path.write_text(text)
    return path


def test_builtin_smoke_runs_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "--cov=app")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    path = config_file(tmp_path, '[[smoke.http]]\npath = "/"\n')
    [launch] = suite_launches("smoke", load_config(path), target=TARGET, config_path=path)
    args = launch.pytest_args
    assert args[args.index("-c") + 1] == str(GATE_INI)
    assert args[args.index("--rootdir") + 1] == str(GATE_HOME)
    assert "--noconftest" in args
    assert launch.python_args == ["-P"]
    assert launch.env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] == "1"
    assert launch.env["PYTHONPATH"] == str(GATE_HOME)  # not the user's: nothing shadows gate
    assert "PYTEST_ADDOPTS" not in launch.env


def test_flows_and_user_tests_run_as_two_processes(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    text = (
        '[e2e]\npytest = ["tests"]\n[[e2e.flows]]\nname = "f"\n'
        '[[e2e.flows.steps]]\nrequest = "GET /"\n'
    )
    path = config_file(tmp_path, text)
    flows, user = suite_launches("e2e", load_config(path), target=TARGET, config_path=path)
    assert flows.part == "flows"
    assert "--noconftest" in flows.pytest_args
    assert user.part == ""
    assert "--noconftest" not in user.pytest_args
    assert user.pytest_args[user.pytest_args.index("--confcutdir") + 1] == str(tmp_path)
    assert user.pytest_args[-1] == str(tmp_path / "tests")
    assert "PYTEST_DISABLE_PLUGIN_AUTOLOAD" not in user.env or os.environ.get(
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
    )


def test_user_ini_only_when_inherited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-x")
    (tmp_path / "tests").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-n 4"\n')
    base = '[e2e]\npytest = ["tests"]\npytest_args = ["-k", "api"]\n'
    for inherit, ini in ((False, GATE_INI), (True, tmp_path / "pyproject.toml")):
        path = config_file(tmp_path, base + f"inherit_ini = {str(inherit).lower()}\n")
        [launch] = suite_launches("e2e", load_config(path), target=TARGET, config_path=path)
        assert launch.pytest_args[launch.pytest_args.index("-c") + 1] == str(ini)
        assert ("PYTEST_ADDOPTS" in launch.env) is inherit
        assert launch.pytest_args[-3:] == ["-k", "api", str(tmp_path / "tests")]
        assert ("inherit_ini = true" in launch.hint) is inherit


def test_find_ini_follows_pytests_file_order(tmp_path: Path) -> None:
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no pytest table
    (tmp_path / "a" / "setup.cfg").write_text("[tool:pytest]\naddopts = -x\n")
    assert find_ini(inner) == tmp_path / "a" / "setup.cfg"
    assert find_ini(tmp_path) == tmp_path / "pytest.ini"


def test_a_conftest_import_error_names_file_module_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("import stripe_sdk_not_installed\n")
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    spec = SuiteProcess(
        name="e2e",
        pytest_args=[str(tmp_path), "--rootdir", str(tmp_path), "-c", str(GATE_INI)],
        junit=tmp_path / "out" / "e2e.xml",
        log=tmp_path / "out" / "e2e.log",
        timeout_s=120,
        timeout_key="e2e.timeout_s",
    )
    run, code = run_pytest(spec, redactor=Redactor(), stream=io.StringIO())
    assert code == 4
    first = run.detail.splitlines()[0]
    assert f"{tmp_path / 'conftest.py'} imports 'stripe_sdk_not_installed'" in first
    assert "[e2e] requirements" in first
    assert "--requirements" in first
