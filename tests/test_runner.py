"""The runner against real processes: readiness messages, suite subprocesses (timeout kill,
crash, no tests, live redacted output), suite selection and extra JUnit files."""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.config import load_config, validate_config
from gate.config.checks import ReadinessConfig
from gate.demo import launch
from gate.errors import ConfigError, UsageError
from gate.model import RunStatus, Verdict
from gate.pipeline import decide
from gate.readiness import validate_target, wait_ready
from gate.redact import Redactor
from gate.runner import junit_runs, run_suites, select_suites
from gate.suite_process import SuiteProcess, run_pytest

FAST = {"timeout_s": 1.0, "interval_s": 0.2, "request_timeout_s": 0.5}


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    with launch(token="runner-token") as url:
        yield url


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections (kernel backlog) and never answers a byte."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


# --- target and readiness -------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["ftp://example.com", "localhost:8080", "http://", "staging"])
def test_invalid_target_is_a_usage_error_naming_it(bad: str) -> None:
    with pytest.raises(UsageError, match="http:// or https://") as info:
        validate_target(bad)
    assert repr(bad) in str(info.value)


def test_valid_target_loses_its_trailing_slash() -> None:
    assert validate_target("https://staging.example.com/") == "https://staging.example.com"


def test_ready_target_gives_no_reason(demo: str) -> None:
    assert wait_ready(demo, ReadinessConfig(path="/health", **FAST)) is None


def test_without_readiness_config_any_answer_below_500_counts(demo: str) -> None:
    assert wait_ready(demo, None) is None  # "/" answers 404: the service is up


def test_readiness_refused(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    reason = wait_ready(url, ReadinessConfig(path="/health", **FAST))
    assert reason is not None
    assert reason.startswith(f"GET {url}/health did not answer status 200 within 1 s")
    assert "last seen: connection refused" in reason
    # attempts are `interval_s` apart, however fast the refusal: at most 1 s / 0.2 s + 1. On a
    # loaded machine (parallel test runs) the first attempt alone can take the whole second.
    attempts = int(re.search(r"\((\d+) attempts?", reason).group(1))  # type: ignore[union-attr]
    assert 1 <= attempts <= 6


def test_readiness_dns_failure() -> None:
    reason = wait_ready("http://gate-no-such-host.invalid", ReadinessConfig(**FAST))
    assert reason is not None
    assert "DNS failure" in reason
    assert "gate-no-such-host.invalid" in reason


def test_readiness_timeout(silent_server: str) -> None:
    reason = wait_ready(silent_server, ReadinessConfig(**FAST))
    assert reason is not None
    assert "(timeout)" in reason


def test_readiness_bad_status_shows_a_redacted_body_excerpt(demo: str) -> None:
    reason = wait_ready(
        demo + "/",
        ReadinessConfig(path="/api/me", **FAST),
        headers={"Authorization": "Bearer wrong-token"},
        redactor=Redactor(["wrong-token"]),
    )
    assert reason is not None
    assert "status 401 (expected 200)" in reason
    assert "missing or invalid bearer token" in reason
    assert "attempts" in reason


def test_readiness_shows_progress_and_names_a_path_that_only_404s(demo: str) -> None:
    lines: list[str] = []
    config = ReadinessConfig(path="/healthz", timeout_s=1.5, interval_s=0.2, request_timeout_s=0.5)
    reason = wait_ready(demo, config, progress=lines.append, progress_every_s=0.3)
    assert reason is not None
    assert lines, "a wait of 1.5 s at 0.3 s per progress line printed nothing"
    for line in lines:
        assert re.fullmatch(r"readiness: GET /healthz -> 404 \(\d+ s of 1\.5 s\)", line), line
    attempts = int(re.search(r"\((\d+) attempts", reason).group(1))  # type: ignore[union-attr]
    assert len(lines) < attempts  # throttled: not one line per attempt
    assert reason.startswith(f"GET {demo}/healthz: every answer within 1.5 s was 404 (")
    assert "attempts): the service is up, but readiness.path '/healthz' is probably wrong; " in (
        reason
    )
    assert reason.endswith(
        'set [readiness] path to a path the app serves (e.g. "/"); last seen: status 404 '
        '(expected 200), body: \'{"error": "GET /healthz: Not Found"}\''
    )


def test_readiness_progress_is_throttled_and_no_404_hint_without_a_404(closed_port: int) -> None:
    lines: list[str] = []
    url = f"http://127.0.0.1:{closed_port}"
    reason = wait_ready(url, ReadinessConfig(**FAST), progress=lines.append, progress_every_s=60)
    assert lines == []
    assert reason is not None
    assert "probably wrong" not in reason


def test_run_suites_stops_at_readiness_with_one_reason(
    closed_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gate.readiness.PROGRESS_EVERY_S", 0.3)
    config = validate_config({"readiness": {"path": "/health", **FAST}, "smoke": {}}, env={})
    out = io.StringIO()
    result = run_suites(
        config,
        config_path=None,
        target=f"http://127.0.0.1:{closed_port}",
        suites=["smoke"],
        out_dir=tmp_path,
        stream=out,
    )
    assert [(r.name, r.status) for r in result.runs] == [("readiness", RunStatus.TIMED_OUT)]
    assert "connection refused" in result.runs[0].detail
    assert not (tmp_path / "runs").exists()
    assert "gate: readiness: GET /health -> connection refused (" in out.getvalue()  # progress


def test_run_suites_refuses_an_invalid_target(tmp_path: Path) -> None:
    config = validate_config({"smoke": {}}, env={})
    with pytest.raises(UsageError, match="'not-a-url'"):
        run_suites(config, config_path=None, target="not-a-url", suites=["smoke"], out_dir=tmp_path)


# --- one suite as a pytest subprocess --------------------------------------------------------


def spec(tmp_path: Path, body: str, timeout_s: float = 60.0, name: str = "e2e") -> SuiteProcess:
    test_file = tmp_path / "test_user.py"
    test_file.write_text(textwrap.dedent(body))
    return SuiteProcess(
        name=name,
        pytest_args=[str(test_file), "--rootdir", str(tmp_path), "-c", os.devnull],
        junit=tmp_path / "out" / f"{name}.xml",
        log=tmp_path / "out" / f"{name}.log",
        timeout_s=timeout_s,
        timeout_key=f"{name}.timeout_s",
    )


def test_suite_past_its_timeout_is_killed_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    body = f"""
        import subprocess, sys, time
        def test_sleeps():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            print("started child", flush=True)
            time.sleep(120)
    """
    # The deadline must fall after the test started its child: pytest's own start-up takes
    # seconds on a loaded machine (parallel test runs), so 2 s was sometimes spent before it.
    run, code = run_pytest(
        spec(tmp_path, body, timeout_s=12), redactor=Redactor(), stream=io.StringIO()
    )
    assert code is None
    assert run.status is RunStatus.TIMED_OUT
    assert run.detail.startswith("after 12 s (e2e.timeout_s); the suite and everything it")
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:  # reaped by init shortly after the kill
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, just not yet reaped


def test_user_test_with_a_syntax_error_is_a_readable_crash(tmp_path: Path) -> None:
    run, code = run_pytest(
        spec(tmp_path, "def test_broken(:\n    pass\n"), redactor=Redactor(), stream=io.StringIO()
    )
    assert code == 2
    assert run.status is RunStatus.CRASHED
    first = run.detail.splitlines()[0]
    assert first.startswith("pytest could not run the suite (exit 2: interrupted")
    assert "SyntaxError: invalid syntax (in " in first
    assert "test_user.py, line 1)" in first


def test_pytest_usage_error_is_a_crash(tmp_path: Path) -> None:
    suite = spec(tmp_path, "def test_ok():\n    pass\n")
    suite.pytest_args.append("--no-such-option")
    run, code = run_pytest(suite, redactor=Redactor(), stream=io.StringIO())
    assert (code, run.status) == (4, RunStatus.CRASHED)
    assert "exit 4: usage error" in run.detail
    assert "--no-such-option" in run.detail


def test_no_tests_completes_with_a_junit_file_for_the_policy(tmp_path: Path) -> None:
    run, code = run_pytest(spec(tmp_path, "x = 1\n"), redactor=Redactor(), stream=io.StringIO())
    assert code == 5
    assert run.status is RunStatus.COMPLETED
    assert run.junit == [tmp_path / "out" / "e2e.xml"]
    assert 'tests="0"' in run.junit[0].read_text()


def test_failing_suite_completes_and_a_stale_junit_is_replaced(tmp_path: Path) -> None:
    suite = spec(tmp_path, "def test_fails():\n    assert 1 == 2\n")
    suite.junit.parent.mkdir(parents=True)
    suite.junit.write_text("<testsuite tests='1'><testcase name='stale'/></testsuite>")
    run, code = run_pytest(suite, redactor=Redactor(), stream=io.StringIO())
    assert (code, run.status) == (1, RunStatus.COMPLETED)
    assert "stale" not in suite.junit.read_text()
    assert "test_fails" in suite.junit.read_text()


def test_output_is_streamed_live_prefixed_and_redacted(tmp_path: Path) -> None:
    body = """
        def test_prints():
            print("using token s3cr3t-value-42")
            assert False, "token s3cr3t-value-42 refused"
    """
    out = io.StringIO()
    run, _ = run_pytest(spec(tmp_path, body), redactor=Redactor(["s3cr3t-value-42"]), stream=out)
    shown = out.getvalue()
    assert "s3cr3t-value-42" not in shown
    assert "[e2e] " in shown
    assert "***" in shown
    assert "s3cr3t-value-42" not in (tmp_path / "out" / "e2e.log").read_text()
    assert run.status is RunStatus.COMPLETED


def test_on_actions_output_is_grouped_and_workflow_commands_are_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    body = """
        def test_injects():
            print("::error::forged annotation")
            assert False  # so that pytest shows the captured output
    """
    out = io.StringIO()
    run_pytest(spec(tmp_path, body, name="smoke"), redactor=Redactor(), stream=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "::group::smoke"
    assert lines[1].startswith("::stop-commands::")
    resume = lines[1].removeprefix("::stop-commands::")
    assert lines[-2:] == [f"::{resume}::", "::endgroup::"]
    forged = lines.index(next(line for line in lines if "::error::forged" in line))
    assert 1 < forged < len(lines) - 2


# --- selection and extra JUnit ---------------------------------------------------------------


SMOKE = {"http": [{"path": "/health"}]}


def test_select_suites_orders_and_skips_unconfigured_defaults(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    config = validate_config({"e2e": {"pytest": [str(tmp_path)]}, "smoke": SMOKE}, env={})
    assert select_suites(config, None) == ["smoke", "e2e"]
    assert select_suites(config, ["e2e", "smoke"]) == ["smoke", "e2e"]
    assert select_suites(validate_config({"stress": {}, "e2e": {}}, env={}), None) == [
        "e2e",
        "stress",
    ]


def test_select_suites_refuses_a_missing_user_test_path(tmp_path: Path) -> None:
    config = validate_config({"e2e": {"pytest": [str(tmp_path / "nope")]}}, env={})
    with pytest.raises(ConfigError, match=r"e2e.pytest\[0\].*does not exist"):
        select_suites(config, None)


def test_select_suites_refuses_unconfigured_names() -> None:
    """Unknown names never reach the runner: `gate.config.suites` refused them already."""
    config = validate_config({"smoke": SMOKE}, env={})
    with pytest.raises(UsageError, match=r"e2e selected but not configured.*\[e2e\]"):
        select_suites(config, ["smoke", "e2e"])


# --- whole runs against the demo service -----------------------------------------------------

USER_TEST = """
    def test_health(http):
        assert http.get("/health").json()["status"] == "ok"
"""


def write_config(tmp_path: Path, toml: str, user_test: str = USER_TEST) -> Path:
    (tmp_path / "e2e").mkdir(exist_ok=True)
    (tmp_path / "e2e" / "test_user.py").write_text(textwrap.dedent(user_test))
    file = tmp_path / "gate.toml"
    file.write_text(textwrap.dedent(toml))
    return file


BASE_TOML = """
    [readiness]
    path = "/health"
    timeout_s = 10
    interval_s = 0.2
    [auth]
    bearer = "${RUNNER_TOKEN}"
    [[smoke.http]]
    method = "POST"
    path = "/api/jobs"
    json = {script = "smoke.py", duration_s = 0}
    status = 201
    [e2e]
    pytest = ["e2e"]
"""


def gate_run(
    tmp_path: Path, file: Path, target: str, monkeypatch: pytest.MonkeyPatch, **extra: object
) -> tuple[list[tuple[str, RunStatus, str]], str]:
    monkeypatch.setenv("RUNNER_TOKEN", "runner-token")
    config = load_config(file)
    out = io.StringIO()
    result = run_suites(
        config,
        config_path=file,
        target=target,
        suites=select_suites(config, None),
        out_dir=tmp_path / "out",
        stream=out,
        blocks=lambda run: decide([run], config, target=target).result.verdict is Verdict.BLOCK,
        **extra,  # type: ignore[arg-type]
    )
    return [(r.name, r.status, r.detail) for r in result.runs], out.getvalue()


def test_smoke_passes_then_e2e_runs(
    tmp_path: Path, demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs, shown = gate_run(tmp_path, write_config(tmp_path, BASE_TOML), demo, monkeypatch)
    assert runs == [("smoke", RunStatus.COMPLETED, ""), ("e2e", RunStatus.COMPLETED, "")]
    assert "[smoke] " in shown
    assert "[e2e] " in shown
    assert "runner-token" not in shown
    assert 'name="test_health"' in (tmp_path / "out" / "runs" / "e2e.xml").read_text()


def test_smoke_blocking_skips_the_later_suites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "out" / "runs" / "e2e.xml"
    stale.parent.mkdir(parents=True)
    stale.write_text("<testsuite/>")  # from an earlier run into the same folder
    with launch(fault="http500", token="runner-token") as broken:
        runs, _ = gate_run(tmp_path, write_config(tmp_path, BASE_TOML), broken, monkeypatch)
    assert runs == [
        ("smoke", RunStatus.COMPLETED, ""),
        (
            "e2e",
            RunStatus.NOT_RUN,
            "smoke blocked (to run e2e and stress anyway, set [policy] smoke_gates_rest = false "
            "or pass `gate run --keep-going`)",
        ),
    ]
    assert not stale.exists()
    assert "status 500, expected 201" in (tmp_path / "out" / "runs" / "smoke.xml").read_text()


def test_keep_going_or_smoke_gates_rest_false_runs_e2e_after_a_blocking_smoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relaxed = BASE_TOML.replace("[auth]", "[policy]\n    smoke_gates_rest = false\n    [auth]")
    with launch(fault="http500", token="runner-token") as broken:
        flag, _ = gate_run(
            tmp_path, write_config(tmp_path, BASE_TOML), broken, monkeypatch, keep_going=True
        )
        keyed, _ = gate_run(tmp_path, write_config(tmp_path, relaxed), broken, monkeypatch)
    for runs in (flag, keyed):
        assert [(name, status) for name, status, _ in runs] == [
            ("smoke", RunStatus.COMPLETED),
            ("e2e", RunStatus.COMPLETED),
        ]


def test_e2e_past_its_timeout_is_reported_timed_out(
    tmp_path: Path, demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeper = """
        import time
        def test_sleeps(base_url):
            time.sleep(120)
    """
    toml = BASE_TOML.replace('pytest = ["e2e"]', 'pytest = ["e2e"]\n    timeout_s = 3')
    runs, _ = gate_run(tmp_path, write_config(tmp_path, toml, sleeper), demo, monkeypatch)
    name, status, detail = runs[1]
    assert (name, status) == ("e2e", RunStatus.TIMED_OUT)
    assert detail.startswith("after 3 s (e2e.timeout_s); the suite and everything it started")


def test_user_test_file_with_a_syntax_error_crashes_e2e(
    tmp_path: Path, demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = write_config(tmp_path, BASE_TOML, "def test_broken(:\n    pass\n")
    runs, _ = gate_run(tmp_path, file, demo, monkeypatch)
    name, status, detail = runs[1]
    assert (name, status) == ("e2e", RunStatus.CRASHED)
    assert "SyntaxError: invalid syntax (in " in detail.splitlines()[0]
    assert "test_user.py, line 1)" in detail.splitlines()[0]


def test_extra_junit_joins_a_run(
    tmp_path: Path, demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "unit.xml"
    report.write_text('<testsuite tests="1"><testcase name="t"/></testsuite>')
    file = write_config(tmp_path, BASE_TOML)
    runs, _ = gate_run(tmp_path, file, demo, monkeypatch, extra_junit=[str(report)])
    assert [name for name, _, _ in runs] == ["smoke", "e2e", "unit"]


def test_extra_junit_files_join_as_their_own_suites(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    for name in ("unit", "smoke"):
        (tmp_path / "reports" / f"{name}.xml").write_text("<testsuite/>")
    runs = junit_runs([str(tmp_path / "reports" / "*.xml"), str(tmp_path / "nothing-*.xml")])
    assert [(r.name, r.status) for r in runs] == [
        ("smoke-2", RunStatus.COMPLETED),
        ("unit", RunStatus.COMPLETED),
        (f"junit:{tmp_path}/nothing-*.xml", RunStatus.CRASHED),
    ]
    assert runs[1].junit == [tmp_path / "reports" / "unit.xml"]
    assert "matched no file" in runs[2].detail
    assert [r.name for r in junit_runs([str(tmp_path / "reports")])] == ["smoke-2", "unit"]


def test_a_failing_stress_engine_is_a_crashed_suite_not_a_traceback(
    tmp_path: Path, demo: str
) -> None:
    # The engine runs in a child process: make it fail for real, on writing its report into a
    # folder that is a file (the path carries a secret, which the message must not).
    out = tmp_path / "runner-token"
    out.mkdir()
    (out / "stress").write_text("not a folder")
    stress = {"duration_s": 0.5, "rate": 2, "workers": 1, "requests": [{"path": "/health"}]}
    config = validate_config({"secrets": ["runner-token"], "stress": stress}, env={})
    result = run_suites(
        config,
        config_path=None,
        target=demo,
        suites=["stress"],
        out_dir=out,
        stream=io.StringIO(),
    )
    (run,) = result.runs
    assert (run.name, run.status) == ("stress", RunStatus.CRASHED)
    assert run.detail.startswith("the stress run failed: FileExistsError: ")
    assert "runner-token" not in run.detail
    assert "/***/stress" in run.detail
    assert result.stress is None


@pytest.fixture
def ready_then_silent() -> Iterator[str]:
    """A raw HTTP/1.1 server on loopback: `GET /ready` gets a 200, any other request is accepted
    and never answered (the connection is held open until the test ends)."""
    held: list[socket.socket] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed at the end of the test
            held.append(conn)
            with contextlib.suppress(OSError):
                conn.settimeout(2)
                if conn.recv(4096).startswith(b"GET /ready "):
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for conn in held:
            conn.close()
        thread.join(timeout=5)


def _group_members(pgid: int) -> list[int]:
    """Processes still alive in process group `pgid` (from /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_a_hung_stress_run_is_timed_out_at_its_deadline_and_its_processes_stopped(
    tmp_path: Path, ready_then_silent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gate.stress_child

    monkeypatch.setattr(gate.stress_child, "stress_deadline_s", lambda config: 4.0)
    stopped: list[int] = []
    stop_group = gate.stress_child._stop_group

    def recording(child: Any, *, graceful: bool) -> None:
        stopped.append(child.pid)
        stop_group(child, graceful=graceful)

    monkeypatch.setattr(gate.stress_child, "_stop_group", recording)
    stress = {
        "duration_s": 8,
        "rate": 20,
        "workers": 2,
        "timeout_s": 20,
        "requests": [{"path": "/hang"}],
    }
    config = validate_config({"readiness": {"path": "/ready"}, "stress": stress}, env={})
    stream = io.StringIO()
    result = run_suites(
        config,
        config_path=None,
        target=ready_then_silent,
        suites=["stress"],
        out_dir=tmp_path,
        stream=stream,
    )
    (run,) = result.runs
    assert (run.name, run.status) == ("stress", RunStatus.TIMED_OUT), run.detail
    assert run.detail == (
        "the stress run did not finish within the stress deadline of 4 s; "
        "it and its worker processes were terminated"
    )
    assert result.stress is None
    assert (
        "gate: stress: running for 8 s; the stress deadline of 4 s stops it if it hangs"
        in stream.getvalue()
    )
    assert len(stopped) == 1
    assert _group_members(stopped[0]) == []  # the child and its workers are gone


def test_the_stress_deadline_is_the_planned_run_plus_request_timeout_plus_grace() -> None:
    from gate.stress_child import deadline_text, stress_deadline_s

    stress = {"stages": [{"duration_s": 5, "target": 10}, {"duration_s": 10, "target": 50}]}
    config = validate_config({"stress": {**stress, "timeout_s": 3}}, env={})
    assert config.stress is not None
    assert stress_deadline_s(config.stress) == 15 + 3 + 30
    assert deadline_text(config.stress, 48) == (
        "the stress deadline of 48 s (stress.duration_s/stages 15 s + stress.timeout_s 3 s "
        "+ 30 s grace)"
    )
