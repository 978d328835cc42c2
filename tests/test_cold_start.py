"""Cold start: the time until the target was ready and the latency of that ready answer are
recorded in result.json and the summary; `readiness.max_ready_s` / `max_first_ms` become
testcases of the suite `cold_start`. Against a real server on loopback that warms up."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from aiohttp import web
from servers.app import serve

from gate.cli import main

WARM_UP_S = 0.3  # /health answers 503 this long after the first request
READY_DELAY_S = 0.05  # the first ready answer takes at least this long (a cold cache)

CONFIG = """
[readiness]
path = "/health"
interval_s = 0.1
timeout_s = 30
{budgets}

[smoke]
[[smoke.http]]
path = "/health"
"""


def _warming_app() -> web.Application:
    state: dict[str, float | bool] = {}

    async def health(request: web.Request) -> web.Response:
        first = state.setdefault("first", time.monotonic())
        assert isinstance(first, float)
        if time.monotonic() - first < WARM_UP_S:
            return web.json_response({"status": "starting"}, status=503)
        if not state.get("warm"):
            state["warm"] = True
            await asyncio.sleep(READY_DELAY_S)
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/health", health)
    return app


def _run(tmp_path: Path, budgets: str) -> tuple[int, dict[str, object], str]:
    config = tmp_path / "gate.toml"
    config.write_text(CONFIG.format(budgets=budgets))
    out = tmp_path / "out"
    with serve(_warming_app()) as url:
        code = main(["run", "--config", str(config), "--target", url, "--out", str(out)])
    result = json.loads((out / "result.json").read_text())
    return code, result, (out / "summary.md").read_text()


def test_cold_start_is_recorded_without_budgets(tmp_path: Path) -> None:
    code, result, summary = _run(tmp_path, "")
    assert code == 0
    cold = result["cold_start"]
    assert isinstance(cold, dict)
    assert cold["ready_s"] >= WARM_UP_S  # it answered 503 for this long
    assert cold["first_ms"] >= READY_DELAY_S * 1000  # the ready answer slept this long
    assert cold["attempts"] >= 2
    assert "Cold start: ready after" in summary
    assert "first answer" in summary
    suites = [s["name"] for s in result["suites"]]  # type: ignore[union-attr]
    assert "cold_start" not in suites


def test_cold_start_budgets_become_testcases_that_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result, _ = _run(tmp_path, "max_ready_s = 60\nmax_first_ms = 1")
    assert code == 1
    suite = next(s for s in result["suites"] if s["name"] == "cold_start")  # type: ignore[union-attr]
    assert suite["totals"]["tests"] == 2
    assert suite["totals"]["failed"] == 1
    text = json.dumps(suite)
    assert "first answer within 1 ms" in text
    assert "over the 1 ms budget (readiness.max_first_ms)" in text
    assert "first answer" in capsys.readouterr().out
