"""Job API tests (tiers p1..p6 as in the hand-written staging reports)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from gate.demo.e2e.conftest import wait_for


@pytest.mark.p1
def test_script_with_arguments_and_env(http: httpx.Client) -> None:
    created = http.post(
        "/api/jobs",
        json={
            "script": "echo.py",
            "args": ["hello", "gate"],
            "env": {"STAGE": "e2e"},
            "duration_s": 0.3,
        },
    )
    assert created.status_code == 201, created.text
    job = wait_for(http, created.json()["id"])
    assert job["status"] == "completed"
    assert job["stdout"] == "hello gate\nSTAGE=e2e\n"


@pytest.mark.p2
def test_metadata_is_stored(http: httpx.Client) -> None:
    created = http.post(
        "/api/jobs", json={"script": "tag.py", "duration_s": 0.1, "metadata": {"ticket": "OPS-7"}}
    ).json()
    assert http.get(f"/api/jobs/{created['id']}").json()["metadata"] == {"ticket": "OPS-7"}


@pytest.mark.p3
def test_retry_before_finish_is_refused(http: httpx.Client) -> None:
    created = http.post("/api/jobs", json={"script": "long.py", "duration_s": 30}).json()
    response = http.post(f"/api/jobs/{created['id']}/retry")
    assert response.status_code == 409, response.text


@pytest.mark.p4
def test_artifact_content_matches_stdout(http: httpx.Client) -> None:
    created = http.post("/api/jobs", json={"script": "a.py", "args": ["x"], "duration_s": 0.1})
    job = wait_for(http, created.json()["id"])
    listed = http.get(f"/api/jobs/{job['id']}/artifacts").json()["artifacts"]
    assert {"stdout.txt", "metadata.json"} <= {a["name"] for a in listed}
    content = http.get(f"/api/jobs/{job['id']}/artifacts/stdout.txt")
    assert content.text == job["stdout"]


@pytest.mark.p5
def test_invalid_body_names_the_field(http: httpx.Client) -> None:
    response = http.post("/api/jobs", json={"script": "x.py", "duration_s": "soon"})
    assert response.status_code == 400
    assert "duration_s" in response.json()["error"]


@pytest.mark.p6
def test_other_users_jobs_are_invisible(
    http: httpx.Client, http_as: Callable[..., httpx.Client]
) -> None:
    created = http.post("/api/jobs", json={"script": "private.py", "duration_s": 0.1}).json()
    assert http_as("bob").get(f"/api/jobs/{created['id']}").status_code == 404
