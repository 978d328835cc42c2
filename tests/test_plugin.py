"""The pytest plugin as users meet it: their own test files run in a pytest subprocess with
`-p gate.plugin`, against real servers on loopback; assertions read the JUnit it writes."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers.app import serve
from servers.flaky import dropping_server
from servers.jobs import Faults, make_app
from servers.junit import Run, run_pytest

from gate.config import GateConfig
from gate.model import SuiteRun
from gate.pipeline import decide

ALICE = "tok-alice-0001"
REPO = Path(__file__).resolve().parents[1]

CONFIG = """
[auth]
bearer = "${ALICE_TOKEN}"

[auth.identities.bob]
bearer = "tok-bob-0002"
"""

USER_TESTS = """
import pytest


@pytest.mark.p1
def test_me(http):
    assert http.get("/api/me").json() == {"user": "alice"}


@pytest.mark.p3
def test_bob(http_as):
    assert http_as("bob").get("/api/me").json() == {"user": "bob"}


def test_anonymous_is_refused(http_as):
    assert http_as(auth=False).get("/api/me").status_code == 401


@pytest.mark.p2
class TestAgent:
    def test_agent_events(self, ws_connect):
        with ws_connect("/ws/agent", auth="query") as ws:
            ws.send_json({"type": "run", "prompt": "hi"})
            events = ws.collect(5, until_type="agent_completed")
        assert [e["type"] for e in events][0] == "agent_started"


def test_leaks_the_token(gate_config, base_url):
    print("token in output:", gate_config.auth.bearer)
    assert gate_config.auth.bearer == "something else"


def test_sees_config(gate_config, base_url):
    assert base_url.startswith("http://127.0.0.1:")
    assert "bob" in gate_config.auth.identities
"""


@pytest.fixture(scope="module")
def jobs_url() -> Iterator[str]:
    with serve(make_app()) as url:
        yield url


def _write(tmp: Path, tests: str, config: str = CONFIG) -> Path:
    (tmp / "test_user.py").write_text(tests)
    cfg = tmp / "gate.toml"
    cfg.write_text(config)
    return cfg


@pytest.fixture(scope="module")
def user_run(jobs_url: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("plugin")
    cfg = _write(tmp, USER_TESTS)
    return run_pytest(
        ["test_user.py"], tmp, target=jobs_url, config=cfg, env={"ALICE_TOKEN": ALICE}
    )


def test_fixtures_authenticate_as_configured(user_run: Run) -> None:
    for name in ["test_me", "test_bob", "test_anonymous_is_refused", "test_sees_config"]:
        assert user_run.case(name).outcome == "passed", user_run.output
    assert user_run.case("test_agent_events").outcome == "passed", user_run.output


def test_markers_become_priority_properties(user_run: Run) -> None:
    assert user_run.case("test_me").properties == {"priority": "p1"}
    assert user_run.case("test_bob").properties == {"priority": "p3"}
    assert user_run.case("test_agent_events").properties == {"priority": "p2"}
    assert user_run.case("test_sees_config").properties == {}


def test_secrets_are_redacted_from_messages_and_output(user_run: Run) -> None:
    case = user_run.case("test_leaks_the_token")
    assert case.outcome == "failure"
    assert ALICE not in user_run.xml
    assert ALICE not in user_run.output
    assert "***" in case.message


def test_websocket_close_code_and_reason_in_failure(tmp_path: Path) -> None:
    tests = """
def test_agent(ws_connect):
    with ws_connect("/ws/agent") as ws:
        ws.send_json({"type": "run", "prompt": "hi"})
        ws.collect(5, until_type="agent_completed")
"""
    cfg = _write(tmp_path, tests)
    with serve(make_app(Faults(close_1011=True))) as url:
        run = run_pytest(
            ["test_user.py"], tmp_path, target=url, config=cfg, env={"ALICE_TOKEN": ALICE}
        )
    message = run.case("test_agent").message
    assert "WS /ws/agent closed 1011 (internal error) after 1 message(s)" in message


def test_websocket_handshake_refusal_names_the_status(tmp_path: Path, jobs_url: str) -> None:
    tests = """
def test_agent(ws_connect):
    ws_connect("/ws/agent", auth="none")
"""
    cfg = _write(tmp_path, tests)
    run = run_pytest(
        ["test_user.py"], tmp_path, target=jobs_url, config=cfg, env={"ALICE_TOKEN": ALICE}
    )
    assert "WS /ws/agent: handshake refused with HTTP 401" in run.case("test_agent").message


def test_pass_after_network_retry_is_reported_flaky(tmp_path: Path) -> None:
    tests = """
def test_health(http):
    assert http.get("/health").json() == {"status": "ok"}
"""
    cfg = _write(tmp_path, tests, config="")
    with dropping_server(drops=1) as url:
        run = run_pytest(["test_user.py"], tmp_path, target=url, config=cfg)
    case = run.case("test_health")
    assert case.outcome == "passed", run.output
    assert len(case.flaky) == 1
    assert "passed after a network retry: GET /health: attempt 1 failed" in case.flaky[0]
    assert "1 flaky" in run.output
    # and the gate's JUnit reader folds it into `flaky` (counted as passed)
    junit = tmp_path / "flaky.xml"
    junit.write_text(run.xml)
    result = decide([SuiteRun("e2e", junit=[junit])], GateConfig(), target=None).result
    assert (result.totals.passed, result.totals.flaky, result.totals.failed) == (1, 1, 0)


def test_network_failure_without_recovery_fails(tmp_path: Path) -> None:
    tests = """
def test_health(http):
    http.get("/health")
"""
    cfg = _write(tmp_path, tests, config="")
    with dropping_server(drops=10) as url:
        run = run_pytest(["test_user.py"], tmp_path, target=url, config=cfg)
    case = run.case("test_health")
    assert case.outcome == "failure"
    assert case.flaky == []


def test_no_target_fails_with_a_hint(tmp_path: Path) -> None:
    cfg = _write(tmp_path, "def test_x(base_url):\n    pass\n", config="")
    run = run_pytest(["test_user.py"], tmp_path, config=cfg)
    assert run.case("test_x").outcome == "error"
    assert "no target; pass --gate-target URL" in run.case("test_x").message


def test_invalid_config_stops_the_run_naming_the_key(tmp_path: Path) -> None:
    cfg = _write(tmp_path, "def test_x():\n    pass\n", config="[smoke]\ntimout_s = 3\n")
    run = run_pytest(["test_user.py"], tmp_path, target="http://127.0.0.1:9", config=cfg)
    assert run.returncode == 4
    assert "smoke.timout_s" in run.output
    assert "did you mean 'timeout_s'" in run.output


def test_plugin_is_inert_without_its_options(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    pass\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plain.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_wheel_ships_checks_inside_gate(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    if proc.returncode != 0 and "hatchling" in proc.stderr:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "-q",
                "-w",
                str(tmp_path),
                str(REPO),
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
    if proc.returncode != 0 and "satisfies the requirement hatchling" in proc.stderr:
        pytest.skip("cannot build the wheel: the build backend hatchling is not installable here")
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("deploy_gate-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for module in ["smoke.py", "e2e.py", "flows.py", "__init__.py"]:
        assert f"gate/checks/{module}" in names
    assert "gate/demo/gate.toml" in names
    assert "gate/suite_pytest.ini" in names  # the built-in suites' own pytest configuration
    assert not [n for n in names if n.startswith(("checks/", "tests/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "gate.plugin = gate.plugin" in zipfile.ZipFile(wheel).read(entry_points).decode()
