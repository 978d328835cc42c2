"""The gate where users run it: a fresh checkout, a user's repository with its own pytest set-up.

Each test installs deploy-gate NON-editable into a `.venv` inside the folder it runs from, the
way the README's first command and the action do, and runs the installed `gate` as a process:
- a copy of this repository (the source tree `gate/` sits in the working directory, where it
  used to shadow the installed package: "import file mismatch");
- a user's repository with hostile pytest configuration: `addopts` naming plugins the gate's
  environment lacks, a root `conftest.py` whose autouse fixture raises, the `.venv` inside the
  repository (so the installed check modules sit under the user's rootdir), and E2E tests whose
  own conftest overrides that fixture and provides another.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.demo import launch

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CLUTTER = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".*_cache", "gate-results", "node_modules"
)
TOKEN = "isolation-token"

USER_PYPROJECT = """\
[project]
name = "app"
version = "1.0"

[tool.pytest.ini_options]
addopts = "--cov=app -n auto"
testpaths = ["tests"]
"""

ROOT_CONFTEST = """\
import pytest


@pytest.fixture(autouse=True)
def database():
    raise RuntimeError("the unit tests need a database (root conftest.py)")
"""

E2E_CONFTEST = """\
import pytest


@pytest.fixture(autouse=True)
def database():  # overrides the root fixture: E2E tests talk to the deployment, not a database
    yield None


@pytest.fixture
def api_version():
    return "v1"
"""

E2E_TEST = """\
def test_health_answers(http, api_version):
    assert api_version == "v1"
    assert http.get("/health").json()["status"] == "ok"
"""

GATE_TOML = """\
[auth]
bearer = "${APP_TOKEN}"

[smoke]
[[smoke.http]]
path = "/health"

[e2e]
pytest = ["tests/e2e"]
"""


def install(folder: Path) -> Path:
    """A `.venv` in `folder` with deploy-gate installed from this repository, not editable."""
    venv = folder / ".venv"
    uv = shutil.which("uv")
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        install = [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python")]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*install, str(ROOT)], check=True, timeout=600)
    return venv / "bin" / "gate"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: none of this test run's pytest or gate variables."""
    drop = ("PYTEST_", "GATE_", "GITHUB_", "PYTHONPATH", "VIRTUAL_ENV", "COV_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, "NO_COLOR": "1", **extra}


def gate(exe: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def reasons(folder: Path) -> list[str]:
    result = json.loads((folder / "gate-results" / "result.json").read_text())
    return [str(r) for r in result["reasons"]]


# --- the README's first command, from a checkout --------------------------------------------


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("clone") / "deploy-gate"
    shutil.copytree(ROOT, folder, ignore=CLUTTER)
    return folder, install(folder)


def test_gate_demo_passes_from_a_checkout_with_a_non_editable_install(
    checkout: tuple[Path, Path],
) -> None:
    """The source tree `gate/` in the working directory must not shadow the installed one."""
    folder, exe = checkout
    done = gate(exe, "demo", cwd=folder)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "import file mismatch" not in done.stdout


# --- a user's repository with its own pytest set-up -------------------------------------------


@pytest.fixture(scope="module")
def user_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    repo = tmp_path_factory.mktemp("user") / "app"
    files = {
        "pyproject.toml": USER_PYPROJECT,
        "conftest.py": ROOT_CONFTEST,
        "app/__init__.py": "",
        "tests/test_unit.py": "def test_unit():\n    assert True\n",
        "tests/e2e/conftest.py": E2E_CONFTEST,
        "tests/e2e/test_health.py": E2E_TEST,
        "gate.toml": GATE_TOML,
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo, install(repo)


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    with launch(token=TOKEN) as url:
        yield url


def write(repo: Path, name: str, text: str) -> Path:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_gate_demo_passes_inside_a_repository_with_hostile_pytest_configuration(
    user_repo: tuple[Path, Path],
) -> None:
    repo, exe = user_repo
    done = gate(exe, "demo", cwd=repo)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "unrecognized arguments" not in done.stdout
    assert "needs a database" not in done.stdout


def test_user_e2e_tests_get_their_conftests_but_not_their_addopts(
    user_repo: tuple[Path, Path], service: str
) -> None:
    repo, exe = user_repo
    done = gate(exe, "run", "--target", service, cwd=repo, APP_TOKEN=TOKEN)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    junit = (repo / "gate-results" / "runs" / "e2e.xml").read_text()
    assert 'name="test_health_answers"' in junit
    assert "<failure" not in junit
    assert "<error" not in junit


def test_a_conftest_importing_a_missing_module_is_a_crash_that_says_how_to_install_it(
    user_repo: tuple[Path, Path], service: str, tmp_path: Path
) -> None:
    repo, exe = user_repo
    write(repo, "tests/sdk/conftest.py", "import stripe\n")
    write(repo, "tests/sdk/test_pay.py", "def test_pay():\n    pass\n")
    config = write(repo, "sdk-gate.toml", '[e2e]\npytest = ["tests/sdk"]\n')
    done = gate(exe, "run", "--target", service, "--config", config.name, cwd=repo)
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    text = "\n".join(reasons(repo))
    assert "tests/sdk/conftest.py" in text
    assert "'stripe'" in text
    assert "requirements" in text


def test_an_inherited_ini_that_breaks_the_run_is_named_as_the_users_configuration(
    user_repo: tuple[Path, Path], service: str
) -> None:
    repo, exe = user_repo
    toml = GATE_TOML.replace('pytest = ["tests/e2e"]', 'pytest = ["tests/e2e"]\ninherit_ini = true')
    config = write(repo, "inherit-gate.toml", toml)
    done = gate(exe, "run", "--target", service, "--config", config.name, cwd=repo, APP_TOKEN=TOKEN)
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    text = "\n".join(reasons(repo))
    assert "your pytest configuration" in text
    assert str(repo / "pyproject.toml") in text
    assert "inherit_ini" in text


def test_pytest_args_reach_the_user_suite(user_repo: tuple[Path, Path], service: str) -> None:
    repo, exe = user_repo
    toml = GATE_TOML.replace(
        'pytest = ["tests/e2e"]', 'pytest = ["tests/e2e"]\npytest_args = ["-k", "nothing_matches"]'
    )
    config = write(repo, "args-gate.toml", toml)
    done = gate(exe, "run", "--target", service, "--config", config.name, cwd=repo, APP_TOKEN=TOKEN)
    # Every E2E test deselected: zero tests, which blocks (inconclusive), never a silent pass.
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    assert 'tests="0"' in (repo / "gate-results" / "runs" / "e2e.xml").read_text()


def test_requirements_are_installed_into_the_gates_environment_once(
    user_repo: tuple[Path, Path], service: str
) -> None:
    repo, exe = user_repo
    write(repo, "tests/needs/conftest.py", E2E_CONFTEST)
    write(repo, "tests/needs/test_words.py", NEEDS_TEST)
    config = write(repo, "needs-gate.toml", '[e2e]\npytest = ["tests/needs"]\n')
    args = ["run", "--target", service, "--config", config.name, "--requirements", "humanize"]
    done = gate(exe, *args, cwd=repo)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "installing requirements" in done.stdout + done.stderr
    again = gate(exe, *args, cwd=repo)
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-2000:]
    assert "already installed" in again.stdout + again.stderr


NEEDS_TEST = """\
import humanize


def test_words():
    assert humanize.intcomma(1000) == "1,000"
"""


def test_a_requirement_pip_cannot_install_is_exit_2_naming_it(
    user_repo: tuple[Path, Path], service: str
) -> None:
    repo, exe = user_repo
    args = ["run", "--target", service, "--requirements", "deploy-gate-no-such-package-x9"]
    done = gate(exe, *args, cwd=repo, APP_TOKEN=TOKEN)
    assert done.returncode == 2, done.stdout[-4000:] + done.stderr[-2000:]
    assert "deploy-gate-no-such-package-x9" in done.stderr


def test_a_missing_requirements_file_is_exit_2_naming_it(
    user_repo: tuple[Path, Path], service: str
) -> None:
    repo, exe = user_repo
    args = ["run", "--target", service, "--requirements", "requirements-e2e.txt"]
    done = gate(exe, *args, cwd=repo, APP_TOKEN=TOKEN)
    assert done.returncode == 2, done.stdout[-4000:] + done.stderr[-2000:]
    assert "requirements-e2e.txt" in done.stderr
    assert "does not exist" in done.stderr
