"""Fixtures shared by the demo's E2E tests."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest


@pytest.fixture(scope="session")
def features(base_url: str) -> dict[str, Any]:
    """The feature flags the deployment reports on /health (no auth needed)."""
    response = httpx.get(f"{base_url}/health", timeout=10)
    response.raise_for_status()
    found: dict[str, Any] = response.json().get("features", {})
    return found


@pytest.fixture
def agents_enabled(features: dict[str, Any]) -> None:
    """Agent tests skip when the deployment switched agents off; the gate counts the skip."""
    if not features.get("agents", False):
        pytest.skip("agents are disabled on this deployment (/health features.agents=false)")


def wait_for(http: httpx.Client, job_id: str, deadline_s: float = 5.0) -> dict[str, Any]:
    """Poll a job until it has finished; the states seen are in the failure message.

    The demo's jobs here take under a second (0.5 s queued + duration_s), so 5 s is ample and a
    stuck service fails each test in seconds."""
    seen: list[str] = []
    end = time.monotonic() + deadline_s
    while True:
        job: dict[str, Any] = http.get(f"/api/jobs/{job_id}").json()
        if not seen or seen[-1] != job["status"]:
            seen.append(job["status"])
        if job["status"] in ("completed", "failed"):
            return job
        if time.monotonic() > end:
            trail = " -> ".join(seen)
            raise AssertionError(
                f"job {job_id}: saw {trail}, still {job['status']} after {deadline_s:g} s"
            )
        time.sleep(0.2)
