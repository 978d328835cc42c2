"""The composite action's steps (`action.yml`), as testable Python instead of inline shell.

The action passes its inputs to these steps only through the environment (`GATE_INPUT_*`,
never `${{ }}` spliced into script text), so a crafted input cannot become shell code. Each
step is `python -m gate.action STEP`:

- `check`   validates every input and fails with a message naming the input;
- `baseline` with `baseline: auto`, downloads the newest baseline artifact of this environment
            (a warning, never a failure, when there is none: docs/baseline.md);
- `run`     runs `gate run` (`gate report` when only JUnit globs are given, `gate merge` when
            shard folders are), records the exit code and never fails itself, so that
            publishing still happens after a block;
- `outputs` reads `result.json` and sets the action's outputs;
- `publish` runs `gate publish` on the surfaces asked for (it sets the `comment-url` output);
- `finish`  ends the job by the verdict (block fails the job when `fail-on-block` is true).

It is an adapter: step outputs, annotations (`no_log_commands` protection included) and the
configuration-file search are the shared ones (`gate.workflow_io`, `gate.config.loader`). It had
its own copies to keep each step's start-up cheap; measured on the loaded 2-core development
machine (median of 5, `import gate.action` then the module): `gate.github.summary` added about
3 s (its package imports PyGithub), `gate.reports.workflow` about 0.6 s (the reports package
imports rich), `gate.workflow_io` nothing measurable. So the shared helpers moved into that small
module, which the reports and the publishers import too.
"""

from __future__ import annotations

import difflib
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from gate.config.loader import find_config_file
from gate.config.publish import ALL_SURFACES
from gate.config.suites import SuiteName, is_suite, suite_problem
from gate.errors import ConfigError, GateError
from gate.errors import InputError as InputError  # re-exported: its old home
from gate.workflow_io import command, write_outputs

OUT_DIR = "gate-results"
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


@dataclass(frozen=True)
class Inputs:
    """The validated inputs, in the form the later steps use."""

    mode: str  # "run", "report", "merge" or "publish" (an existing result, `result` input)
    target: str | None
    config: str | None
    suites: list[SuiteName] | None
    publish: list[str]
    junit: list[str] = field(default_factory=list)
    merge: list[str] = field(default_factory=list)
    fail_on_block: bool = True
    workdir: Path = Path(".")
    baseline: str | None = None  # None, "auto", or a folder (relative to workdir)
    requirements: list[str] = field(default_factory=list)
    result: str | None = None  # `result`: publish this result.json instead of running

    def gate_argv(self, out_dir: str = OUT_DIR, found_baseline: str = "") -> list[str]:
        """The `gate` command line these inputs mean (`found_baseline`: what `auto` found)."""
        argv = [self.mode]
        if self.baseline == "auto" and found_baseline:
            argv += ["--baseline", found_baseline, "--baseline-missing-ok"]
        elif self.baseline not in (None, "auto"):
            argv += ["--baseline", str(self.baseline)]
        if self.mode == "merge":
            argv += self.merge
        elif self.mode == "report":
            argv += self.junit
        else:
            if self.target:
                argv += ["--target", self.target]
            if self.suites:
                argv += ["--suites", ",".join(self.suites)]
            for pattern in self.junit:
                argv += ["--junit", pattern]
            for entry in self.requirements:
                argv += ["--requirements", entry]
        if self.config:
            argv += ["--config", self.config]
        return [*argv, "--out", out_dir]


def _input_var(name: str) -> str:
    """The variable that carries action input `name` into the steps (`target-url` ->
    `GATE_INPUT_TARGET_URL`)."""
    return "GATE_INPUT_" + name.upper().replace("-", "_")


def parse_inputs(env: Mapping[str, str]) -> Inputs:
    """Validate the `GATE_INPUT_*` variables; raise `InputError` naming the first bad input."""

    def get(name: str) -> str:
        return env.get(_input_var(name), "").strip()

    workdir = Path(get("working-directory") or ".")
    if not workdir.is_dir():
        raise InputError("working-directory", f"{str(workdir)!r} is not a directory")
    if get("result"):
        return _publish_only(get, workdir)
    junit = _split(get("junit"), sep="\n,")
    merge = _merge_dirs(get("merge"), workdir)
    report_only = _report_only(get) and not merge
    checks = not (report_only or merge)
    suites = _suites(get("suites")) if checks else None
    config = _config(get("config"), workdir)
    target = _target(get("target-url"), config, workdir, env) if checks else None
    publish = _publish(get("publish"))
    if publish and publish != ["summary"] and not get("github-token"):
        raise InputError(
            "github-token",
            f"is empty while publish is {','.join(publish)!r}; give a token "
            "(the default is the workflow's GITHUB_TOKEN) or set `publish: summary`",
        )
    return Inputs(
        mode="merge" if merge else "report" if report_only else "run",
        target=target,
        config=config,
        suites=suites,
        publish=publish,
        junit=junit,
        merge=merge,
        fail_on_block=_bool("fail-on-block", get("fail-on-block") or "true"),
        workdir=workdir,
        baseline=_baseline(get("baseline")),
        requirements=_requirements(get("requirements"), workdir),
    )


def _report_only(get: Callable[[str], str]) -> bool:
    """JUnit files alone (`suites: none`, or neither suites nor a target): `gate report`."""
    suites = get("suites")
    return bool(_split(get("junit"), sep="\n,")) and (
        suites == "none" or not (suites or get("target-url"))
    )


def _checks_target(env: Mapping[str, str]) -> bool:
    """Whether these inputs run checks against a target (not a result, JUnit files or shard
    folders, which need none)."""

    def get(name: str) -> str:
        return env.get(_input_var(name), "").strip()

    return not (get("result") or get("merge") or _report_only(get))


def _baseline(text: str) -> str | None:
    """`none`/empty: no comparison; `auto`: the newest artifact; else a folder (gate checks it,
    exit 2 naming the problem, as on the command line)."""
    if text.lower() in ("", "none"):
        return None
    return "auto" if text.lower() == "auto" else text


def _publish_only(get: Callable[[str], str], workdir: Path) -> Inputs:
    """`result`: publish an existing result (no checks run, so no target or suites)."""
    for other in ("target-url", "suites", "junit", "merge", "requirements"):
        if get(other):
            raise InputError("result", f"publishes an existing result; `{other}` cannot go with it")
    publish = _publish(get("publish"))
    if publish and publish != ["summary"] and not get("github-token"):
        raise InputError("github-token", "is empty while `result` is to be published")
    return Inputs(
        mode="publish",
        target=None,
        config=_config(get("config"), workdir),
        suites=None,
        publish=publish,
        fail_on_block=_bool("fail-on-block", get("fail-on-block") or "true"),
        workdir=workdir,
        result=get("result"),
    )


def _split(text: str, sep: str = ",") -> list[str]:
    items = [text]
    for char in sep:
        items = [part for item in items for part in item.split(char)]
    return [item.strip() for item in items if item.strip()]


def _merge_dirs(text: str, workdir: Path) -> list[str]:
    """Shard output folders (globs expanded here: `gate merge` takes folders)."""
    found: list[str] = []
    for pattern in _split(text, sep="\n,"):
        # glob.glob (not Path.glob): absolute patterns work too, and results stay as written.
        matches = sorted(m for m in glob.glob(pattern, root_dir=workdir) if (workdir / m).is_dir())
        if not matches:
            raise InputError("merge", f"{pattern!r} matches no folder in {str(workdir)!r}")
        found += matches
    return found


def _requirements(text: str, workdir: Path) -> list[str]:
    """Requirement specifiers and requirements files; a file named but absent is an error here,
    a package the index does not have is `gate run`'s exit 2 naming it."""
    entries = _split(text, sep="\n,")
    for entry in entries:
        if entry.endswith((".txt", ".in")) and not (workdir / entry).is_file():
            raise InputError(
                "requirements",
                f"requirements file {entry!r} does not exist "
                f"(looked in {str(workdir.resolve())!r})",
            )
    return entries


def _bool(name: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise InputError(name, f"expected true or false, found {text!r}")


def _known(name: str, value: str, known: Sequence[str]) -> None:
    if value not in known:
        close = difflib.get_close_matches(value, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(
            name, f"unknown value {value!r} (expected one of {', '.join(known)}){hint}"
        )


def _suites(text: str) -> list[SuiteName] | None:
    if not text:
        return None
    suites = _split(text)
    problem = suite_problem(suites)  # the config's own check: one message everywhere
    if problem:
        raise InputError("suites", problem)
    return [suite for suite in suites if is_suite(suite)]


def _publish(text: str) -> list[str]:
    if text in ("", "all"):
        return list(ALL_SURFACES)
    if text == "none":
        return []
    surfaces = _split(text)
    for surface in surfaces:
        _known("publish", surface, [*ALL_SURFACES, "all", "none"])
    return list(ALL_SURFACES) if "all" in surfaces else surfaces


def _config(text: str, workdir: Path) -> str | None:
    """The `--config` to pass, or None to let `gate` find gate.toml / [tool.gate] itself."""
    if not text:
        return None
    if (workdir / text).is_file():
        return text
    if text == "gate.toml":  # the default: fall back to [tool.gate] in pyproject.toml or defaults
        return None
    raise InputError("config", f"{text!r} does not exist (looked in {str(workdir.resolve())!r})")


def _target(text: str, config: str | None, workdir: Path, env: Mapping[str, str]) -> str | None:
    if text:
        _check_url(text)
        return text
    if env.get("GATE_TARGET_URL"):
        _check_url(env["GATE_TARGET_URL"])
        return None
    if _config_target(config, workdir, env):
        return None
    raise InputError(
        "target-url",
        "is empty: the event carries no deployment environment_url and the configuration has "
        "no `target`; set `target-url: https://...`",
    )


def _check_url(text: str) -> None:
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in text)
    ):
        raise InputError(
            "target-url", f"expected an http(s) URL like https://host/, found {text!r}"
        )


def _config_target(config: str | None, workdir: Path, env: Mapping[str, str]) -> bool:
    """Whether the configuration `gate` will read (the loader's own search: the `config` input,
    `GATE_CONFIG`, gate.toml, [tool.gate]) sets `target`; read without interpolation."""
    import tomllib

    try:
        path = find_config_file(config, env, workdir)
        if path is None:
            return False
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ConfigError):
        return False  # `gate` itself reports the broken or missing file with the key and line
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("gate", {})
    return bool(data.get("target"))


def set_output(name: str, value: str, env: Mapping[str, str] | None = None) -> None:
    """Append `name=value` to `$GITHUB_OUTPUT` (the shared heredoc writer); print it outside
    Actions."""
    target = (os.environ if env is None else env).get("GITHUB_OUTPUT")
    if not target:
        print(f"{name}={value}")
        return
    write_outputs(Path(target), {name: value})


def _annotate(message: str, title: str = "deploy-gate") -> None:
    print(command("error", message, title=title))


def step_check(env: Mapping[str, str]) -> int:
    try:
        env = _rerun_target(env)
        inputs = parse_inputs(env)
    except InputError as exc:
        _annotate(str(exc), title=f"deploy-gate input {exc.name}")
        print(f"deploy-gate: {exc}", file=sys.stderr)
        return 1
    print(f"deploy-gate: gate {' '.join(inputs.gate_argv())}")
    print(f"deploy-gate: publish to {','.join(inputs.publish) or 'nowhere'}")
    set_output("publish", ",".join(inputs.publish), env)
    return 0


def step_baseline(env: Mapping[str, str]) -> int:
    """`_baseline_step`, which must never fail the job (a bug there warns and skips the
    comparison; the run then says it had no baseline)."""
    try:
        return _baseline_step(env)
    except InputError:
        set_output("dir", "", env)
        return 0  # the check step has already failed the job with the message
    except Exception as exc:
        print(command("warning", f"{type(exc).__name__}: {exc}", title="deploy-gate baseline"))
        set_output("dir", "", env)
        return 0


def _baseline_step(env: Mapping[str, str]) -> int:
    """Name this environment's baseline artifact; with `baseline: auto`, download the newest.

    Outputs `artifact-name` (where a passing run stores its outputs) and `dir` (the folder
    `gate --baseline` reads; with nothing usable, it holds `unavailable.txt` saying why, so the
    report says it too). Never fails the job: no baseline only means no comparison.
    """
    inputs = parse_inputs(env)
    environment = env.get("GATE_INPUT_ENVIRONMENT", "").strip() or _config_environment(inputs)
    name = artifact_name(environment)
    set_output("artifact-name", name, env)
    if inputs.baseline != "auto":
        set_output("dir", "", env)
        return 0
    from gate.github.artifacts import BaselineUnavailable, fetch_baseline  # PyGithub: 0.3 s

    temp = env.get("RUNNER_TEMP") or tempfile.gettempdir()
    dest = Path(temp) / f"deploy-gate-baseline-{uuid.uuid4().hex[:8]}"
    try:
        fetch_baseline(
            api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
            repository=env.get("GITHUB_REPOSITORY", ""),
            token=env.get("GATE_INPUT_GITHUB_TOKEN", ""),
            name=name,
            dest=dest,
        )
        print(f"deploy-gate: baseline {name} unpacked into {dest}")
    except BaselineUnavailable as exc:
        print(command("warning", str(exc), title="deploy-gate baseline"))
        dest.mkdir(parents=True, exist_ok=True)
        (dest / UNAVAILABLE).write_text(str(exc)[:500], encoding="utf-8")
    set_output("dir", str(dest), env)
    return 0


UNAVAILABLE = "unavailable.txt"


def _config_environment(inputs: Inputs) -> str:
    from gate.config import load_config

    previous = Path.cwd()
    try:
        os.chdir(inputs.workdir)
        return load_config(inputs.config).environment
    except GateError:
        return "staging"
    finally:
        os.chdir(previous)


def artifact_name(environment: str) -> str:
    """`deploy-gate-baseline-<environment>` (characters artifact names refuse replaced): where
    a passing run stores its outputs and `baseline: auto` looks for them."""
    safe = re.sub(r'[\\/:*?"<>|\r\n]+', "-", environment.strip()) or "default"
    return "deploy-gate-baseline-" + safe[:200]


def _rerun_target(env: Mapping[str, str]) -> Mapping[str, str]:
    """A `workflow_dispatch` rerun of a deployment without `target-url` checks the deployment's
    `environment_url`: looked up here (`gate.github.rerun`), passed on as step outputs.

    Only when checks need that target: a JUnit-only run, a merge of shards or a given result
    looks nothing up here (`gate publish` finds where to post: docs/promotion.md)."""
    target = _input_var("target-url")
    if env.get("GITHUB_EVENT_NAME") != "workflow_dispatch" or env.get(target):
        return env
    if not _checks_target(env):
        return env
    from gate.errors import GateError
    from gate.github.rerun import resolve_from_env

    try:
        resolved = resolve_from_env(env, env.get(_input_var("github-token"), ""))
    except GateError as exc:
        raise InputError(
            "target-url", f"is empty and the rerun could not be resolved: {exc}"
        ) from None
    if resolved is None:
        return env
    if not resolved.target_url:
        raise InputError(
            "target-url",
            f"is empty and deployment {resolved.deployment_id} has no successful status with an "
            "environment_url; set target-url",
        )
    print(
        f"deploy-gate: re-judging deployment {resolved.deployment_id} ({resolved.environment}) "
        f"of {resolved.sha} at {resolved.target_url}"
    )
    set_output("target-url", resolved.target_url, env)
    set_output("deployment-id", str(resolved.deployment_id), env)
    return {**env, target: resolved.target_url}


def step_run(env: Mapping[str, str]) -> int:
    """Run gate; record its exit code and never fail, so that publishing still happens."""
    inputs = parse_inputs(env)
    out = inputs.workdir / OUT_DIR
    result = out / "result.json"
    if inputs.mode == "publish":  # read before gate-results/ is cleared: it may be the input
        return _take_result(inputs, result, env)
    result.unlink(missing_ok=True)  # a stale result must never be published as this run's
    argv = [
        sys.executable,
        "-m",
        "gate",
        *inputs.gate_argv(found_baseline=env.get("GATE_BASELINE_DIR", "")),
    ]
    code, last_error = _run_teeing_stderr(argv, inputs.workdir)
    set_output("exit-code", str(code), env)
    set_output("result", str(result.resolve()) if result.is_file() else "", env)
    if code == 2:  # usage/configuration: the reason is gate's own message; make it the annotation
        _annotate(last_error or "gate exited 2 (usage or configuration error)", "deploy-gate")
    return 0


def _take_result(inputs: Inputs, dest: Path, env: Mapping[str, str]) -> int:
    """`result`: check the given result.json (untrusted under `workflow_run`: a fork's artifact)
    and copy it, rebuilt from its schema, to gate-results/ for the outputs and publish steps."""
    from gate.commands.publish import read_result
    from gate.errors import GateError
    from gate.github.artifact import load_untrusted_result
    from gate.github.context import read_context

    source = inputs.workdir / (inputs.result or "")
    try:
        if env.get("GITHUB_EVENT_NAME") == "workflow_run":
            context = read_context(env, default_environment="default")
            result = load_untrusted_result(source, context)
        else:
            result = read_result(source)
    except GateError as exc:
        dest.unlink(missing_ok=True)
        print(command("warning", f"nothing was published: {exc}", title="deploy-gate result"))
        set_output("exit-code", "refused", env)
        set_output("result", "", env)
        return 0
    dest.unlink(missing_ok=True)  # the input itself, or a stale result
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
    set_output("exit-code", "0" if result.verdict == "pass" else "1", env)
    set_output("result", str(dest.resolve()), env)
    return 0


def _run_teeing_stderr(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run `argv`, passing its stderr through live; return its exit code and its last message
    (from the last line starting `gate ` to the end: the command's error with its details)."""
    lines: list[str] = []
    with subprocess.Popen(argv, cwd=cwd, stderr=subprocess.PIPE, text=True, bufsize=1) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            lines = [*lines[-40:], line.rstrip("\n")]
    starts = [i for i, line in enumerate(lines) if line.startswith("gate ")]
    message = lines[starts[-1] :] if starts else lines[-1:]
    return proc.returncode, "\n".join(line for line in message[:20] if line.strip())


def step_outputs(env: Mapping[str, str]) -> int:
    result = Path(env.get("GATE_RESULT", ""))
    data = json.loads(result.read_text(encoding="utf-8"))
    totals = data.get("totals", {})
    failed = int(totals.get("failed", 0)) + int(totals.get("errors", 0))
    summary = result.parent / "summary.md"
    for name, value in (
        ("verdict", str(data.get("verdict", "block"))),
        ("outcome", str(data.get("outcome", "error"))),
        ("tests", str(totals.get("tests", 0))),
        ("failed", str(failed)),
        ("result-path", str(result)),
        ("summary-path", str(summary) if summary.is_file() else ""),
    ):
        set_output(name, value, env)
    return 0


def step_publish(env: Mapping[str, str]) -> int:
    """`gate publish` with the surfaces and configuration of these inputs; its exit code."""
    inputs = parse_inputs(env)
    argv = [sys.executable, "-m", "gate", "publish", "--result", env.get("GATE_RESULT", "")]
    argv += ["--surfaces", ",".join(inputs.publish)]
    if inputs.config:
        argv += ["--config", inputs.config]
    return subprocess.run(argv, cwd=inputs.workdir, check=False).returncode


def step_finish(env: Mapping[str, str]) -> int:
    """Exit by the verdict; a usage error (2) or no result fails even without fail-on-block."""
    code, verdict = env.get("GATE_EXIT_CODE", ""), env.get("GATE_VERDICT", "")
    fail_on_block = _bool("fail-on-block", env.get("GATE_INPUT_FAIL_ON_BLOCK") or "true")
    if code == "refused":
        print("deploy-gate: nothing was published: the result was refused (see the warning)")
        return 0
    if code == "2":
        print("deploy-gate: gate could not run: a usage or configuration error (annotated above)")
        return 2
    if verdict == "pass" and code == "0":
        print("deploy-gate: verdict pass")
        return 0
    if verdict == "pass":  # gate failed after writing its result: that pass does not stand
        _annotate(
            f"gate ended with exit code {code or 'unknown'} after a pass: the verdict is block"
        )
        return 1
    if not verdict:
        _annotate(f"gate wrote no result (exit code {code or 'unknown'}): the verdict is block")
        return 1
    message = "deploy-gate: verdict block"
    if not fail_on_block:
        print(f"{message} (fail-on-block is false: the job goes on)")
        return 0
    _annotate(f"{message}; see the job summary for the reasons")
    return 1


STEPS = {
    "check": step_check,
    "baseline": step_baseline,
    "run": step_run,
    "outputs": step_outputs,
    "publish": step_publish,
    "finish": step_finish,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] not in STEPS:
        print(f"usage: python -m gate.action {{{','.join(STEPS)}}}", file=sys.stderr)
        return 2
    return STEPS[args[0]](os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
