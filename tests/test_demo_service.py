"""The demo service as a real process on loopback: every endpoint, the lifecycle, the agent
events and their isolation, and the one observable symptom of every fault."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from gate.demo import FAULTS, DemoError, launch
from gate.demo.faults import describe_faults
from gate.errors import UsageError

ALICE, BOB = "alice-token-123", "bob-token-456"
QUEUE_S = 0.3


def client(url: str, token: str | None = ALICE, timeout: float = 10.0) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=timeout)


def poll(get: Callable[[], str], until: set[str], deadline_s: float = 10.0) -> list[str]:
    """The distinct states seen, in order, until one in `until` (fails at the deadline)."""
    seen: list[str] = []
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        state = get()
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in until:
            return seen
        time.sleep(0.02)
    pytest.fail(f"no state in {until} within {deadline_s} s; seen {seen}")


def ws(url: str, token: str) -> ClientConnection:
    return connect(url.replace("http", "ws", 1) + f"/ws/agent?token={token}", open_timeout=5)


def receive(conn: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(conn.recv(timeout=5)))


def run_events(
    conn: ClientConnection, prompt: str = "what is a deploy gate?"
) -> list[dict[str, Any]]:
    conn.send(json.dumps({"type": "run", "prompt": prompt}))
    events = [receive(conn)]
    while events[-1]["type"] != "agent_completed":
        events.append(receive(conn))
    return events


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with launch(token=[ALICE, BOB], queue_s=QUEUE_S) as base:
        yield base


@pytest.fixture
def alice(url: str) -> Iterator[httpx.Client]:
    with client(url) as c:
        yield c


def job_status(c: httpx.Client, job_id: str) -> Callable[[], str]:
    return lambda: str(c.get(f"/api/jobs/{job_id}").json()["status"])


def test_health_is_public_and_lists_features(url: str) -> None:
    with client(url, token=None) as c:
        r = c.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["features"]["agents"] is True
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_me_names_the_token_identity_and_refuses_others(url: str) -> None:
    with client(url, ALICE) as a, client(url, BOB) as b, client(url, "wrong-token") as w:
        assert a.get("/api/me").json() == {"user": "alice"}
        assert b.get("/api/me").json() == {"user": "bob"}
        assert w.get("/api/me").status_code == 401
    with client(url, token=None) as anonymous:
        r = anonymous.get("/api/me")
    assert r.status_code == 401
    assert "bearer token" in r.json()["error"]


def test_job_lifecycle_is_queued_running_completed(alice: httpx.Client) -> None:
    body = {"script": "hello.py", "args": ["a", "b"], "env": {"MODE": "x"}, "duration_s": 0.4}
    created = alice.post("/api/jobs", json={**body, "metadata": {"team": "qa"}})
    assert created.status_code == 201
    job = created.json()
    assert job["status"] == "queued"
    assert job["exit_code"] is None
    assert alice.get(f"/api/jobs/{job['id']}/artifacts").json() == {"artifacts": []}

    seen = poll(job_status(alice, job["id"]), {"completed", "failed"})
    assert seen == ["queued", "running", "completed"]
    done = alice.get(f"/api/jobs/{job['id']}").json()
    assert done["exit_code"] == 0
    assert done["stdout"] == "a b\nMODE=x\n"
    assert done["metadata"] == {"team": "qa"}
    artifacts = alice.get(f"/api/jobs/{job['id']}/artifacts").json()["artifacts"]
    assert {"name": "stdout.txt", "size": len("a b\nMODE=x\n")} in artifacts
    assert alice.get(f"/api/jobs/{job['id']}/artifacts/stdout.txt").text == "a b\nMODE=x\n"
    assert job["id"] in [j["id"] for j in alice.get("/api/jobs").json()["jobs"]]


def test_failed_job_then_retry_creates_a_new_job(alice: httpx.Client) -> None:
    job = alice.post("/api/jobs", json={"script": "boom.sh", "fail": True, "duration_s": 0}).json()
    early = alice.post(f"/api/jobs/{job['id']}/retry")
    assert early.status_code == 409
    assert "has not finished" in early.json()["error"]

    poll(job_status(alice, job["id"]), {"completed", "failed"})
    failed = alice.get(f"/api/jobs/{job['id']}").json()
    assert (failed["status"], failed["exit_code"]) == ("failed", 1)
    retry = alice.post(f"/api/jobs/{job['id']}/retry")
    assert retry.status_code == 201
    assert retry.json()["retry_of"] == job["id"]
    assert retry.json()["id"] != job["id"]
    assert retry.json()["status"] == "queued"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"args": []}, "script"),
        ({"script": "x", "duration_s": "1"}, "duration_s"),
        ({"script": "x", "args": "a b"}, "args"),
        ({"script": "x", "colour": "red"}, "colour"),
    ],
)
def test_invalid_job_body_is_400_naming_the_field(
    alice: httpx.Client, body: dict[str, Any], field: str
) -> None:
    r = alice.post("/api/jobs", json=body)
    assert r.status_code == 400
    assert field in r.json()["error"]


def test_non_json_body_and_unknown_paths_answer_json_errors(alice: httpx.Client) -> None:
    r = alice.post("/api/jobs", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["error"]
    assert alice.get("/api/nothing").status_code == 404
    assert alice.get("/api/nothing").json()["error"]


def test_jobs_and_batches_belong_to_their_user(url: str, alice: httpx.Client) -> None:
    job = alice.post("/api/jobs", json={"script": "mine"}).json()
    batch = alice.post("/api/batches", json={"count": 2, "duration_s": 0}).json()
    with client(url, BOB) as bob:
        assert bob.get(f"/api/jobs/{job['id']}").status_code == 404
        assert bob.get(f"/api/batches/{batch['batch_id']}").status_code == 404
        assert job["id"] not in [j["id"] for j in bob.get("/api/jobs").json()["jobs"]]


def test_batch_counts_statuses_and_fail_count(alice: httpx.Client) -> None:
    created = alice.post("/api/batches", json={"count": 10, "duration_s": 0.1, "fail_count": 2})
    assert created.status_code == 201
    batch = created.json()
    assert len(batch["job_ids"]) == 10

    def finished() -> str:
        jobs = alice.get(f"/api/batches/{batch['batch_id']}").json()["jobs"]
        done = all(j["status"] in ("completed", "failed") for j in jobs)
        return "done" if done else "pending"

    poll(finished, {"done"})
    listed = alice.get(f"/api/batches/{batch['batch_id']}").json()
    assert listed["counts"] == {"completed": 8, "failed": 2}
    assert [j["id"] for j in listed["jobs"]] == batch["job_ids"]
    member = alice.get(f"/api/jobs/{batch['job_ids'][0]}").json()
    assert member["batch_id"] == batch["batch_id"]
    assert alice.post("/api/batches", json={"count": 0}).status_code == 400


def test_cors_preflight_allows_known_origins_only(url: str) -> None:
    with client(url, token=None) as c:
        ok = c.options(
            "/api/jobs",
            headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
        )
        bad = c.options(
            "/api/jobs",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert bad.status_code == 403
    assert "Access-Control-Allow-Origin" not in bad.headers


def test_agent_events_arrive_in_order_for_the_user(url: str) -> None:
    with ws(url, ALICE) as conn:
        events = run_events(conn)
    kinds = [e["type"] for e in events]
    assert kinds == [
        "agent_started",
        "agent_thinking",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
    ]
    assert len({e["run_id"] for e in events}) == 1
    assert {e["user"] for e in events} == {"alice"}
    assert all(len(e["data"]["text"]) >= 50 for e in events if e["type"] == "agent_thinking")


def test_agent_events_never_reach_another_user(url: str) -> None:
    with ws(url, ALICE) as a1, ws(url, ALICE) as a2, ws(url, BOB) as b:
        events = run_events(a1)
        # alice's second tab sees the same run
        assert [receive(a2)["type"] for _ in events] == [e["type"] for e in events]
        # every event was written before agent_completed reached alice, so a leaked one
        # would arrive at bob before the answer to his ping
        b.send(json.dumps({"type": "ping"}))
        assert receive(b) == {"type": "pong", "user": "bob"}


def test_agent_socket_needs_a_token_and_explains_bad_messages(url: str) -> None:
    with pytest.raises(InvalidStatus) as info:
        connect(url.replace("http", "ws", 1) + "/ws/agent", open_timeout=5)
    assert info.value.response.status_code == 401
    headers = {"Authorization": f"Bearer {BOB}"}
    with connect(url.replace("http", "ws", 1) + "/ws/agent", additional_headers=headers) as conn:
        conn.send("not json")
        answer = receive(conn)
    assert answer["type"] == "error"
    assert '"run"' in answer["data"]["message"]


def test_launch_refuses_unknown_fault_listing_the_valid_ones() -> None:
    with pytest.raises(UsageError) as info, launch(fault="explode"):
        pass
    assert "explode" in str(info.value)
    assert all(name in str(info.value) for name in FAULTS)


def test_launch_stops_the_service_on_exit() -> None:
    with launch(token=ALICE) as base:
        assert httpx.get(base + "/health").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/health")


def test_every_fault_is_described_on_one_line() -> None:
    lines = describe_faults().splitlines()
    assert [line.split()[0] for line in lines] == list(FAULTS)


# --- faults: each one's observable symptom --------------------------------------------------


@pytest.fixture
def faulty(request: pytest.FixtureRequest) -> Iterator[str]:
    with launch(fault=request.param, token=[ALICE, BOB], queue_s=QUEUE_S) as base:
        yield base


@pytest.mark.parametrize("faulty", ["down"], indirect=True)
def test_fault_down_refuses_connections(faulty: str) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(faulty + "/health", timeout=5)


@pytest.mark.parametrize("faulty", ["slow"], indirect=True)
def test_fault_slow_delays_every_response_past_a_1s_budget(faulty: str) -> None:
    with client(faulty, token=None, timeout=1.0) as c, pytest.raises(httpx.ReadTimeout):
        c.get("/health")


@pytest.mark.parametrize("faulty", ["http500"], indirect=True)
def test_fault_http500_breaks_jobs_only(faulty: str) -> None:
    with client(faulty) as c:
        created = c.post("/api/jobs", json={"script": "x"})
        assert created.status_code == 500
        assert created.json() == {"error": "internal server error"}
        assert c.get("/api/jobs/job-000001").status_code == 500
        assert c.get("/health").status_code == 200
        assert c.post("/api/batches", json={"count": 1}).status_code == 201


@pytest.mark.parametrize("faulty", ["ws1011"], indirect=True)
def test_fault_ws1011_closes_the_agent_socket_with_1011(faulty: str) -> None:
    with ws(faulty, ALICE) as conn:
        conn.send(json.dumps({"type": "ping"}))
        with pytest.raises(ConnectionClosedError) as info:
            conn.recv(timeout=5)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (1011, "internal error")


@pytest.mark.parametrize("faulty", ["stuck"], indirect=True)
def test_fault_stuck_keeps_jobs_running(faulty: str) -> None:
    with client(faulty) as c:
        job = c.post("/api/jobs", json={"script": "x", "duration_s": 0}).json()
        # without the fault a zero-length job goes straight from queued to completed
        assert poll(job_status(c, job["id"]), {"running", "completed"}) == ["queued", "running"]
        assert c.post(f"/api/jobs/{job['id']}/retry").status_code == 409


def test_zero_length_job_goes_from_queued_to_completed(alice: httpx.Client) -> None:
    job = alice.post("/api/jobs", json={"script": "x", "duration_s": 0}).json()
    seen = poll(job_status(alice, job["id"]), {"running", "completed"})
    assert seen == ["queued", "completed"]


@pytest.mark.parametrize("faulty", ["missing-event"], indirect=True)
def test_fault_missing_event_drops_tool_completed(faulty: str) -> None:
    with ws(faulty, ALICE) as conn:
        kinds = [e["type"] for e in run_events(conn)]
    assert "tool_completed" not in kinds
    assert kinds[0] == "agent_started"
    assert "tool_executing" in kinds


@pytest.mark.parametrize("faulty", ["bad-auth"], indirect=True)
def test_fault_bad_auth_answers_me_without_a_token(faulty: str) -> None:
    with client(faulty, token=None) as c:
        assert c.get("/api/me").status_code == 200
        assert c.get("/api/jobs").status_code == 401


@pytest.mark.parametrize("faulty", ["skipped-tests"], indirect=True)
def test_fault_skipped_tests_turns_the_agents_feature_off(faulty: str) -> None:
    assert httpx.get(faulty + "/health").json()["features"]["agents"] is False


@pytest.mark.parametrize("faulty", ["event-leak"], indirect=True)
def test_fault_event_leak_sends_one_users_events_to_another(faulty: str) -> None:
    with ws(faulty, ALICE) as a, ws(faulty, BOB) as b:
        events = run_events(a)
        leaked = receive(b)
    assert leaked["user"] == "alice"
    assert leaked["run_id"] == events[0]["run_id"]


def test_every_fault_has_a_test_here() -> None:
    names = [name for name in globals() if name.startswith("test_fault_")]
    untested = [
        f
        for f in FAULTS
        if not any(n.startswith(f"test_fault_{f.replace('-', '_')}_") for n in names)
    ]
    assert untested == []


def test_launch_reports_a_service_that_exits_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'address already in use' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    with pytest.raises(DemoError) as info, launch():
        pass
    assert "exited with code 3" in str(info.value)
    assert "address already in use" in str(info.value)


def test_launch_gives_up_on_a_silent_service_and_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\necho $$ > {tmp_path}/pid\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    with (
        pytest.raises(DemoError, match="no 'listening on' line within 1 s"),
        launch(start_timeout_s=1),
    ):
        pass
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_login_exchanges_the_users_secret_for_a_session_token(url: str) -> None:
    with client(url, token=None) as anonymous:
        bad = anonymous.post("/auth/token", json={"username": "bob", "password": ALICE})
        good = anonymous.post("/auth/token", json={"username": "bob", "password": BOB})
    assert bad.status_code == 401
    assert "invalid username or password" in bad.json()["error"]
    body = good.json()
    assert body["user"] == "bob"
    assert body["user_id"].startswith("user_")
    assert body["access_token"].startswith("sess-")
    with client(url, body["access_token"]) as session:
        assert session.get("/api/me").json() == {"user": "bob"}
    with ws(url, body["access_token"]) as conn:
        events = run_events(conn)
    assert {e["user_id"] for e in events} == {body["user_id"]}


def test_a_reconnected_client_resumes_its_own_run_only(url: str) -> None:
    with ws(url, ALICE) as conn:
        run_id = run_events(conn)[0]["run_id"]
    with ws(url, ALICE) as again:
        again.send(json.dumps({"type": "resume", "run_id": run_id}))
        replayed = [receive(again) for _ in range(6)]
    assert {e["run_id"] for e in replayed} == {run_id}
    assert replayed[-1]["type"] == "agent_completed"
    with ws(url, BOB) as other:
        other.send(json.dumps({"type": "resume", "run_id": run_id}))
        assert receive(other)["type"] == "error"


def test_search_is_rate_limited_with_retry_after(alice: httpx.Client) -> None:
    answers = [alice.get("/api/search", params={"q": "x"}) for _ in range(30)]
    limited = [r for r in answers if r.status_code == 429]
    assert answers[0].status_code == 200
    assert limited
    assert limited[0].headers["Retry-After"] == "1"
