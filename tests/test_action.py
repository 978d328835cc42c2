"""The composite action without a runner: its interface, its schemas, and its step scripts.

The runs under `act` live in `test_action_act.py`; these tests are fast and need no network.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gate import action
from gate.action import InputError, parse_inputs
from gate.config.publish import ALL_SURFACES

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
REQUIRE = ROOT / "require" / "action.yml"  # `deploy-gate/deploy-gate/require@v1`
WORKFLOWS = sorted([*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("examples/workflows/*.yml")])
TEST_YAML = sorted(ROOT.glob("tests/act/**/*.yml"))  # test-only workflow and stand-in actions
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")

INPUTS = [
    "target-url",
    "config",
    "suites",
    "environment",
    "github-token",
    "publish",
    "fail-on-block",
    "junit",
    "python-version",
    "working-directory",
    "merge",  # added beyond the contract (docs/design.md), which allows more inputs
    "requirements",
    "result",
    "baseline",  # docs/baseline.md
    "store-baseline",
    "baseline-retention-days",
]
OUTPUTS = ["verdict", "outcome", "tests", "failed", "result-path", "summary-path", "comment-url"]


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def run_steps(doc: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every step of an action (`runs.steps`) or a workflow (`jobs.*.steps`)."""
    if "runs" in doc:
        yield from (("runs", step) for step in doc["runs"].get("steps", []))
    for job_name, job in (doc.get("jobs") or {}).items():
        yield from ((job_name, step) for step in job.get("steps", []))


# --- interface (docs/design.md) --------------------------------------------------------------


def test_action_inputs_and_outputs_are_the_documented_ones() -> None:
    doc = load(ACTION)
    assert list(doc["inputs"]) == INPUTS
    assert list(doc["outputs"]) == OUTPUTS
    assert all(not spec.get("required", False) for spec in doc["inputs"].values())
    assert doc["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert doc["inputs"]["config"]["default"] == "gate.toml"
    assert doc["inputs"]["fail-on-block"]["default"] == "true"
    assert "deployment_status.environment_url" in doc["inputs"]["target-url"]["default"]
    assert doc["runs"]["using"] == "composite"


def test_publish_runs_after_a_block_and_the_job_fails_last() -> None:
    steps = {step.get("id"): step for _, step in run_steps(load(ACTION))}
    ids = [step.get("id") for _, step in run_steps(load(ACTION))]
    assert ids.index("run") < ids.index("publish") < ids.index("finish") == len(ids) - 1
    assert steps["publish"]["if"].startswith("always()")
    assert "steps.run.outputs.result != ''" in steps["publish"]["if"]
    assert steps["finish"]["if"].startswith("always()")


# --- schemas and script injection --------------------------------------------------------------


@pytest.mark.parametrize("action", [ACTION, REQUIRE], ids=lambda p: str(p.relative_to(ROOT)))
def test_action_validates_against_the_github_actions_schema(action: Path) -> None:
    proc = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-actions", str(action)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflow_validates_against_the_github_workflows_schema(workflow: Path) -> None:
    proc = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_require_action_passes_inputs_through_the_environment() -> None:
    doc = load(REQUIRE)
    assert list(doc["inputs"]) == ["environment", "sha", "wait", "github-token"]
    assert doc["inputs"]["environment"]["required"] is True
    assert doc["inputs"]["wait"]["default"] == "0"
    *_, run = [step for _, step in run_steps(doc)]
    assert "-m gate" in run["run"]
    assert "require" in run["run"]


def test_both_actions_install_through_the_shared_script() -> None:
    """One install (setup/install.sh: uv, pip fallback) and one cache for both actions."""
    for path, script in (
        (ACTION, '"$GITHUB_ACTION_PATH/setup/install.sh"'),
        (REQUIRE, '"$GITHUB_ACTION_PATH/../setup/install.sh"'),
    ):
        steps = {step.get("id", step.get("uses", "")): step for _, step in run_steps(load(path))}
        assert steps["env"]["run"] == f"bash {script} name", path
        assert steps["install"]["run"] == f"bash {script} install", path
        assert steps["actions/cache@v4"]["with"]["key"] == "${{ steps.env.outputs.key }}", path
        for step in steps.values():
            assert "pip install" not in step.get("run", ""), path


def install_sh(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, dict[str, str]]:
    out = tmp_path / "output.txt"
    out.write_text("")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GATE_", "RUNNER_"))}
    full = {**clean, "GITHUB_OUTPUT": str(out), "RUNNER_TOOL_CACHE": str(tmp_path), **env}
    proc = subprocess.run(
        ["bash", str(ROOT / "setup" / "install.sh"), *args],
        env=full,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return proc.returncode, proc.stdout + proc.stderr, parse_github_output(out.read_text())


def test_the_require_action_names_the_main_actions_environment(tmp_path: Path) -> None:
    """Without requirements both actions name one venv: a runner that gated reuses it."""
    (tmp_path / "e2e.txt").write_text("humanize\n")
    code, log, main = install_sh(tmp_path, "name", GATE_INPUT_WORKING_DIRECTORY=str(tmp_path))
    assert code == 0, log
    assert main["venv"] == f"{tmp_path}/deploy-gate/{main['key'].rsplit('-', 1)[1]}"
    assert main["uv"] == f"{tmp_path}/deploy-gate/uv"
    _, _, require = install_sh(tmp_path, "name", GATE_INPUT_REQUIREMENTS="")
    assert require == main
    _, _, other = install_sh(
        tmp_path,
        "name",
        GATE_INPUT_REQUIREMENTS="e2e.txt",
        GATE_INPUT_WORKING_DIRECTORY=str(tmp_path),
    )
    assert other["key"] != main["key"]
    (tmp_path / "e2e.txt").write_text("humanize>=4\n")  # the file's content is in the key
    _, _, changed = install_sh(
        tmp_path,
        "name",
        GATE_INPUT_REQUIREMENTS="e2e.txt",
        GATE_INPUT_WORKING_DIRECTORY=str(tmp_path),
    )
    assert changed["key"] not in (main["key"], other["key"])


def test_the_install_script_reuses_a_working_environment(tmp_path: Path) -> None:
    """A venv that imports gate (restored by actions/cache) is used as it is: no install."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    (venv / "lib").mkdir(exist_ok=True)
    site = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "gate_here.pth").write_text(str(ROOT) + "\n")
    code, log, outputs = install_sh(
        tmp_path, "install", VENV=str(venv), UV_HOME=str(tmp_path / "uv")
    )
    assert code == 0, log
    assert outputs == {"python": f"{venv}/bin/python"}
    assert "installed with" not in log
    assert "gate" in log  # `gate --version`
    assert not (tmp_path / "uv").exists()


def test_the_install_script_needs_python_3_11(tmp_path: Path) -> None:
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python3").write_text("#!/bin/sh\nexit 1\n")
    (shim / "python3").chmod(0o755)
    code, log, _ = install_sh(tmp_path, "name", PATH=f"{shim}:{os.environ['PATH']}")
    assert code == 2
    assert "needs python3 >= 3.11 on PATH" in log


def test_the_examples_are_all_there() -> None:
    names = {p.name for p in WORKFLOWS if p.parent.name == "workflows" and "examples" in p.parts}
    assert {"post-deploy.yml", "pr-preview.yml", "manual-rerun.yml", "stress-sharded.yml"} <= names
    assert {"promotion.yml", "fork-pr-gate.yml", "fork-pr-publish.yml"} <= names
    post = load(ROOT / "examples/workflows/post-deploy.yml")
    assert list(post["on"]) == ["deployment_status"]
    assert post["jobs"]["gate"]["if"] == "github.event.deployment_status.state == 'success'"
    rerun = load(ROOT / "examples/workflows/manual-rerun.yml")
    assert set(rerun["on"]["workflow_dispatch"]["inputs"]) == {
        "deployment-id",
        "environment",
        "target-url",
        "suites",
        "pr-number",
    }


@pytest.mark.parametrize(
    "path", [ACTION, REQUIRE, *WORKFLOWS, *TEST_YAML], ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_expression_is_spliced_into_a_script(path: Path) -> None:
    """`${{ }}` inside `run:` is pasted into the shell text before it runs: script injection.

    Inputs, event fields and outputs must reach scripts through `env:` instead.
    """
    doc = load(path)
    for where, step in run_steps(doc):
        if "run" in step:
            assert "${{" not in step["run"], (
                f"{path.name}: {where}: {step.get('name', step['run'])}"
            )
    # A raw scan too, in case a step was hidden from the walk above (anchors, odd nesting).
    in_run = False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if re.match(r"^(- )?run:", stripped):
            in_run, indent = True, len(line) - len(line.lstrip())
            assert "${{" not in stripped, line
        elif in_run and stripped and len(line) - len(line.lstrip()) <= indent:
            in_run = False
        elif in_run:
            assert "${{" not in line, line


def test_the_injection_scan_catches_a_spliced_expression(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n          echo ok\n          echo ${{ github.event.pull_request.title }}\n"
    )
    with pytest.raises(AssertionError):
        test_no_expression_is_spliced_into_a_script(bad)


def test_the_example_config_is_valid() -> None:
    from gate.config.loader import load_config

    config = load_config(ROOT / "examples" / "gate.toml", env={"STAGING_TOKEN": "t0ken"})
    assert config.suites == ["smoke", "e2e", "stress"]
    assert "t0ken" in config.secret_values


@pytest.mark.parametrize("path", TEST_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_test_only_workflows_and_stand_ins_validate(path: Path) -> None:
    schema = "vendor.github-workflows" if "workflows" in path.parts else "vendor.github-actions"
    proc = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- inputs ------------------------------------------------------------------------------------


def env_of(**inputs: str) -> dict[str, str]:
    base = {"github-token": "t0ken", "target-url": "https://staging.example.com"}
    base.update({k.replace("_", "-"): v for k, v in inputs.items()})
    return {"GATE_INPUT_" + k.upper().replace("-", "_"): v for k, v in base.items()}


def test_defaults_mean_gate_run_publishing_everywhere(tmp_path: Path) -> None:
    (tmp_path / "gate.toml").write_text('target = "https://x.example"\n')
    inputs = parse_inputs(env_of(working_directory=str(tmp_path), config="gate.toml"))
    assert inputs.mode == "run"
    assert inputs.publish == list(ALL_SURFACES)
    assert inputs.gate_argv() == [
        "run",
        "--target",
        "https://staging.example.com",
        "--config",
        "gate.toml",
        "--out",
        "gate-results",
    ]


def test_only_junit_means_gate_report(tmp_path: Path) -> None:
    inputs = parse_inputs(
        env_of(working_directory=str(tmp_path), target_url="", junit="a/*.xml\nb.xml, c/")
    )
    assert inputs.gate_argv() == ["report", "a/*.xml", "b.xml", "c/", "--out", "gate-results"]
    with_target = parse_inputs(env_of(working_directory=str(tmp_path), junit="a.xml"))
    assert with_target.gate_argv()[:1] == ["run"]
    assert "--junit" in with_target.gate_argv()


def test_shard_folders_mean_gate_merge(tmp_path: Path) -> None:
    for name in ("gate-shard-2", "gate-shard-1", "other"):
        (tmp_path / "shards" / name).mkdir(parents=True)
    (tmp_path / "shards" / "gate-shard-3").write_text("a file, not a shard folder")
    inputs = parse_inputs(
        env_of(working_directory=str(tmp_path), target_url="", merge="shards/gate-shard-*")
    )
    assert inputs.gate_argv() == [
        "merge",
        "shards/gate-shard-1",
        "shards/gate-shard-2",
        "--out",
        "gate-results",
    ]
    absolute = f"{tmp_path}/shards/other"
    assert parse_inputs(env_of(working_directory=str(tmp_path), merge=absolute)).merge == [absolute]


def test_suites_and_publish_lists(tmp_path: Path) -> None:
    inputs = parse_inputs(
        env_of(working_directory=str(tmp_path), suites="smoke, e2e", publish="comment,summary")
    )
    assert inputs.suites == ["smoke", "e2e"]
    assert inputs.publish == ["comment", "summary"]
    assert parse_inputs(env_of(working_directory=str(tmp_path), publish="none")).publish == []


def test_an_empty_target_is_fine_when_the_config_has_one(tmp_path: Path) -> None:
    (tmp_path / "gate.toml").write_text('target = "https://x.example"\n')
    inputs = parse_inputs(
        env_of(working_directory=str(tmp_path), target_url="", config="gate.toml")
    )
    assert inputs.target is None
    (tmp_path / "gate.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.gate]\ntarget = "https://x.example"\n')
    assert parse_inputs(env_of(working_directory=str(tmp_path), target_url="")).config is None


def test_an_empty_target_is_fine_when_gate_config_names_a_config_with_one(tmp_path: Path) -> None:
    """The action finds the configuration the way `gate` does: GATE_CONFIG counts."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "gate.toml").write_text('target = "https://x.example"\n')
    env = env_of(working_directory=str(tmp_path), target_url="")
    with pytest.raises(InputError):
        parse_inputs(env)
    assert parse_inputs({**env, "GATE_CONFIG": "deploy/gate.toml"}).target is None


def test_requirements_input_becomes_gate_run_flags(tmp_path: Path) -> None:
    (tmp_path / "requirements-e2e.txt").write_text("pyjwt\n")
    env = env_of(working_directory=str(tmp_path), requirements="requirements-e2e.txt, humanize")
    argv = parse_inputs(env).gate_argv()
    assert argv[argv.index("--requirements") :][:4] == [
        "--requirements", "requirements-e2e.txt", "--requirements", "humanize"
    ]  # fmt: skip


def test_an_annotation_cannot_start_another_workflow_command(tmp_path: Path) -> None:
    code, log, _ = step("check", env_of(suites="::add-mask::x"), tmp_path)
    assert code == 1
    assert "\n::add-mask::" not in log


@pytest.mark.parametrize(
    ("inputs", "name", "words"),
    [
        ({"requirements": "e2e.txt"}, "requirements", "'e2e.txt' does not exist"),
        ({"target_url": ""}, "target-url", "is empty"),
        ({"target_url": "staging.example.com"}, "target-url", "http(s) URL"),
        ({"target_url": "ftp://x.example"}, "target-url", "ftp://x.example"),
        ({"target_url": "https://"}, "target-url", "http(s) URL"),
        ({"config": "gates/prod.toml"}, "config", "'gates/prod.toml' does not exist"),
        ({"suites": "smoke,smok"}, "suites", "did you mean 'smoke'"),
        ({"publish": "comments"}, "publish", "did you mean 'comment'"),
        ({"github_token": ""}, "github-token", "is empty while publish is"),
        ({"fail_on_block": "maybe"}, "fail-on-block", "expected true or false"),
        ({"working_directory": "/nonexistent/dir"}, "working-directory", "not a directory"),
        ({"merge": "shards/*"}, "merge", "'shards/*' matches no folder"),
    ],
)
def test_bad_input_names_the_input(
    tmp_path: Path, inputs: dict[str, str], name: str, words: str
) -> None:
    inputs.setdefault("working_directory", str(tmp_path))
    with pytest.raises(InputError) as info:
        parse_inputs(env_of(**inputs))
    assert info.value.name == name
    assert str(info.value).startswith(f"input `{name}`: ")
    assert words in str(info.value)


def test_no_token_is_fine_for_the_summary_alone(tmp_path: Path) -> None:
    inputs = parse_inputs(
        env_of(working_directory=str(tmp_path), github_token="", publish="summary")
    )
    assert inputs.publish == ["summary"]


# --- the step scripts, as the action runs them -------------------------------------------------


def step(
    name: str, env: dict[str, str], tmp_path: Path, cwd: Path | None = None
) -> tuple[int, str, dict[str, str]]:
    """Run `python -m gate.action NAME` like the action does; return code, log and outputs."""
    out_file = tmp_path / f"output-{name}.txt"
    out_file.write_text("")
    full = {**os.environ, **env, "GITHUB_OUTPUT": str(out_file)}
    proc = subprocess.run(
        [sys.executable, "-m", "gate.action", name],
        env=full,
        cwd=cwd or tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return proc.returncode, proc.stdout + proc.stderr, parse_github_output(out_file.read_text())


def parse_github_output(text: str) -> dict[str, str]:
    """Read `$GITHUB_OUTPUT` as the runner does (`k=v` and `k<<DELIM` heredocs)."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delim:
                    break
                body.append(inner)
            outputs[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


def test_check_step_fails_with_an_annotation_naming_the_input(tmp_path: Path) -> None:
    code, log, _ = step("check", env_of(suites="load"), tmp_path)
    assert code == 1
    assert (
        "::error title=deploy-gate input suites::input `suites`: unknown suite(s) 'load'; "
        "valid: smoke, e2e, stress"
    ) in log


def test_check_step_passes_the_surfaces_on(tmp_path: Path) -> None:
    code, log, outputs = step("check", env_of(publish="summary,comment"), tmp_path)
    assert code == 0, log
    assert outputs == {"publish": "summary,comment"}


def write_result(directory: Path, verdict: str, outcome: str, failed: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    result = directory / "result.json"
    totals = {"tests": 7, "passed": 7 - failed, "failed": failed, "errors": 1, "skipped": 0}
    result.write_text(
        json.dumps({"schema": 1, "verdict": verdict, "outcome": outcome, "totals": totals})
    )
    (directory / "summary.md").write_text("# summary\n")
    return result


def test_outputs_step_reads_result_json(tmp_path: Path) -> None:
    result = write_result(tmp_path / "gate-results", "block", "failed", failed=2)
    code, log, outputs = step("outputs", {"GATE_RESULT": str(result)}, tmp_path)
    assert code == 0, log
    assert outputs == {
        "verdict": "block",
        "outcome": "failed",
        "tests": "7",
        "failed": "3",
        "result-path": str(result),
        "summary-path": str(tmp_path / "gate-results" / "summary.md"),
    }


@pytest.mark.parametrize(
    ("env", "code"),
    [
        ({"GATE_EXIT_CODE": "0", "GATE_VERDICT": "pass"}, 0),
        ({"GATE_EXIT_CODE": "1", "GATE_VERDICT": "block"}, 1),
        ({"GATE_EXIT_CODE": "1", "GATE_VERDICT": "block", "GATE_INPUT_FAIL_ON_BLOCK": "false"}, 0),
        ({"GATE_EXIT_CODE": "2", "GATE_VERDICT": "", "GATE_INPUT_FAIL_ON_BLOCK": "false"}, 2),
        ({"GATE_EXIT_CODE": "1", "GATE_VERDICT": ""}, 1),  # crashed before writing a result
        ({"GATE_EXIT_CODE": "1", "GATE_VERDICT": "pass"}, 1),  # failed after writing one
        ({"GATE_EXIT_CODE": "", "GATE_VERDICT": "", "GATE_INPUT_FAIL_ON_BLOCK": "false"}, 1),
    ],
)
def test_finish_step_exits_by_the_verdict(tmp_path: Path, env: dict[str, str], code: int) -> None:
    got, log, _ = step("finish", env, tmp_path)
    assert got == code, log


def test_run_step_records_the_exit_code_and_never_fails(tmp_path: Path) -> None:
    """A usage error inside gate (exit 2) is recorded for `finish`; the step itself passes."""
    (tmp_path / "gate.toml").write_text("no_such_key = 1\n")
    code, log, outputs = step("run", env_of(config="gate.toml"), tmp_path)
    assert code == 0, log
    assert outputs["exit-code"] == "2"
    assert outputs["result"] == ""
    # gate's own message (naming the key) becomes the annotation, not a generic one.
    [annotation] = [line for line in log.splitlines() if line.startswith("::error")]
    assert "gate.toml: invalid configuration" in annotation, log
    assert "no_such_key" in annotation, log


def test_run_step_removes_a_stale_result(tmp_path: Path) -> None:
    stale = write_result(tmp_path / "gate-results", "pass", "passed")
    (tmp_path / "gate.toml").write_text("no_such_key = 1\n")
    _, _, outputs = step("run", env_of(config="gate.toml"), tmp_path)
    assert not stale.exists()
    assert outputs["result"] == ""


def test_set_output_survives_newlines_and_equals(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("")
    action.set_output("a", "x=1\nEOF\ny", {"GITHUB_OUTPUT": str(out)})
    assert parse_github_output(out.read_text()) == {"a": "x=1\nEOF\ny"}


# --- a workflow_dispatch rerun: the deployment is looked up only when checks need its URL -------


def dispatch_env(tmp_path: Path, fake: Any, **inputs: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"inputs": inputs}))
    return {
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": fake.repository,
        "GITHUB_API_URL": fake.url,
        "GITHUB_SHA": "b" * 40,
    }


def test_a_junit_only_rerun_with_an_environment_looks_nothing_up(
    tmp_path: Path, fake_github: Any
) -> None:
    (tmp_path / "junit.xml").write_text("<testsuite/>")
    env = {
        **env_of(
            target_url="",
            suites="none",
            junit="junit.xml",
            working_directory=".",
            github_token=fake_github.WRITE_TOKEN,
        ),
        "GATE_INPUT_ENVIRONMENT": "staging",
        **dispatch_env(tmp_path, fake_github, environment="staging"),
    }
    code, log, outputs = step("check", env, tmp_path)
    assert code == 0, log
    assert "gate report junit.xml" in log
    assert "target-url" not in outputs
    assert "deployment-id" not in outputs
    assert fake_github.count("GET", r".") == 0  # the environment has no deployment: not asked


def test_a_rerun_that_runs_checks_still_looks_the_deployment_up(
    tmp_path: Path, fake_github: Any
) -> None:
    env = {
        **env_of(
            target_url="",
            suites="smoke",
            working_directory=".",
            github_token=fake_github.WRITE_TOKEN,
        ),
        "GATE_INPUT_ENVIRONMENT": "staging",
        **dispatch_env(tmp_path, fake_github, environment="staging"),
    }
    code, log, _ = step("check", env, tmp_path)
    assert code == 1, log
    assert "environment 'staging' has no deployment" in log
    assert fake_github.count("GET", r"/deployments$") == 1
