"""Recording a `--requirements` install in the gate's environment (gate/requirements.py).

The install itself is exercised end to end in tests/test_isolation.py (a real pip/uv into a
real venv); here the installer is a Python process that succeeds, and the environment the
record goes to is one the gate cannot write to.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gate import requirements
from gate.errors import UsageError
from gate.requirements import Requirements

WANTED = [Requirements(("humanize",), Path("."), "--requirements")]


@pytest.fixture
def installer(monkeypatch: pytest.MonkeyPatch) -> None:
    """An installer that runs and succeeds (it installs nothing)."""
    command = [sys.executable, "-c", "import sys"]
    monkeypatch.setattr(requirements, "_installer", lambda: (command, "pip"))


def test_an_install_is_recorded_and_not_repeated(
    installer: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(requirements, "MARKERS", tmp_path / "markers")
    requirements.install(WANTED)
    requirements.install(WANTED)
    err = capsys.readouterr().err
    assert err.count("installing requirements with pip: humanize") == 1
    assert "requirements already installed: humanize" in err


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root writes into a read-only folder; see the next test"
)
def test_a_read_only_environment_is_a_usage_error_naming_it(
    installer: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "env"
    env.mkdir()
    env.chmod(0o555)
    monkeypatch.setattr(requirements, "MARKERS", env / "deploy-gate-requirements")
    try:
        with pytest.raises(UsageError) as caught:
            requirements.install(WANTED)
    finally:
        env.chmod(0o755)
    assert f"cannot record the install in {env / 'deploy-gate-requirements'}" in str(caught.value)
    assert "must be writable" in str(caught.value)


def test_an_unwritable_environment_is_a_usage_error_naming_it(
    installer: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even root cannot make a folder where a file stands (a read-only folder stops others)."""
    env = tmp_path / "env"
    env.write_text("not a folder")
    monkeypatch.setattr(requirements, "MARKERS", env / "deploy-gate-requirements")
    with pytest.raises(UsageError) as caught:
        requirements.install(WANTED)
    assert f"cannot record the install in {env / 'deploy-gate-requirements'}" in str(caught.value)
    assert "must be writable" in str(caught.value)
