"""The bundled gate.toml and the bundled user-style E2E tests against the real demo service
(`gate.demo.launch`, a separate process), with and without faults: the suites run as the runner
runs them and the JUnit names the symptom of each fault."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers.junit import Run, run_pytest

from gate.checks import pytest_targets
from gate.config import load_config
from gate.demo import BUNDLED_CONFIG, launch

TOKENS = {"DEMO_TOKEN": "demo-alice-7c1e55", "DEMO_TOKEN_2": "demo-bob-90ab2f"}


def _run(tmp: Path, suite: str, fault: str | None = None, only: str = "") -> Run:
    """Run `suite` of the bundled configuration; `only`: just this test function of it."""
    config = load_config(BUNDLED_CONFIG, env=TOKENS)
    targets = pytest_targets(suite, config)
    if only:
        targets = [f"{t}::{only}" for t in targets if t.endswith(".py")]
    with launch(fault, token=list(TOKENS.values())) as url:
        return run_pytest(targets, tmp, target=url, config=BUNDLED_CONFIG, env=TOKENS)


# With `slow` every response takes 2 s: the whole smoke suite takes about 27 s, the rate-limit
# check alone 6 s, though only the HTTP checks can name this symptom. So only they run.
ONLY = {"slow": "test_http"}


def test_bundled_smoke_passes_with_readable_names(tmp_path: Path) -> None:
    run = _run(tmp_path, "smoke")
    assert run.returncode == 0, run.output
    names = {(c.classname, c.name) for c in run.cases}
    assert ("smoke.http", "GET /health -> 200 within 500 ms") in names
    assert ("smoke.websocket", "WS /ws/agent round trip -> 'pong' within 5 s") in names
    assert ("smoke.cors", "CORS preflight GET /api/jobs from https://evil.example refused") in names
    assert all(c.outcome == "passed" for c in run.cases)


def test_bundled_e2e_passes_with_flows_and_tiered_user_tests(tmp_path: Path) -> None:
    run = _run(tmp_path, "e2e")
    assert run.returncode == 0, run.output
    flows = {c.name for c in run.cases if c.classname == "e2e.flow"}
    assert "agent run streams the five events" in flows
    assert "two users' agent events do not cross" in flows
    assert "a logged-in user's agent events are theirs, also after a reconnect" in flows
    tiers = {c.properties.get("priority") for c in run.cases if c.classname.startswith("gate.")}
    assert tiers == {"p1", "p2", "p3", "p4", "p5", "p6"}
    assert not [c for c in run.cases if c.outcome != "passed"]
    for token in TOKENS.values():
        assert token not in run.xml
        assert token not in run.output
    # bob logs in, and the ownership flow captures a session token: neither may be shown
    assert "sess-" not in run.xml
    assert "sess-" not in run.output


@pytest.mark.parametrize(
    ("fault", "suite", "case", "symptom"),
    [
        ("slow", "smoke", "GET /health -> 200 within 500 ms", "over the 500 ms budget"),
        ("http500", "smoke", "POST /api/jobs -> 201 within 1000 ms", "status 500, expected 201"),
        (
            "bad-auth",
            "smoke",
            "GET /api/me refuses a request without a token",
            "status 200, expected 401",
        ),
        (
            "ws1011",
            "smoke",
            "WS /ws/agent round trip -> 'pong' within 5 s",
            "closed 1011 (internal error)",
        ),
        (
            "missing-event",
            "e2e",
            "agent run streams the five events",
            "expected at least 1 'tool_completed', got 0",
        ),
        ("event-leak", "e2e", "two users' agent events do not cross", "events crossed users"),
    ],
)
def test_each_fault_fails_the_check_that_names_its_symptom(
    tmp_path: Path, fault: str, suite: str, case: str, symptom: str
) -> None:
    run = _run(tmp_path, suite, fault, only=ONLY.get(fault, ""))
    found = run.case(case)
    assert found.outcome == "failure", run.output
    assert symptom in found.message


def test_agents_disabled_skips_the_agent_tests_visibly(tmp_path: Path) -> None:
    run = _run(tmp_path, "e2e", "skipped-tests")
    skipped = [c for c in run.cases if c.outcome == "skipped"]
    assert {c.name for c in skipped} == {
        "test_all_five_events_in_order",
        "test_ping_pong_with_query_token",
        "test_every_socket_of_a_user_gets_the_run",
        "test_bobs_socket_sees_only_bob",
    }
    assert all("agents are disabled on this deployment" in c.message for c in skipped)


@pytest.mark.slow
def test_stuck_jobs_report_the_states_seen(tmp_path: Path) -> None:
    # the flows only: the bundled user tests would each wait out their own 5 s for a stuck job
    run = _run(tmp_path, "e2e", "stuck", only="test_flow")
    message = run.case("job lifecycle: queued -> running -> completed").message
    assert "saw queued -> running, still running after 5 s, expected completed" in message
    batch = run.case("batch of 10: at least 80% complete").message
    assert "0/10 completed (0%, required 80%): 10 running" in batch
    failing = run.case("a failing job reports its exit code").message
    assert "still running after 4 s" in failing
    # one after another, the three stuck flows take at least 5 + 4 + 5 s; side by side they
    # take about the longest deadline (5 s), whichever flow's test happens to do the waiting
    flows = [c for c in run.cases if c.classname == "e2e.flow"]
    assert sum(c.time for c in flows) < 14
