"""`gate publish`: post `result.json` to GitHub (docs/design.md: Commands).

Exit codes (documented in the README, "Publishing to GitHub"):
  0  published, or degraded with warnings (a read-only token, a 403, rate limits beyond the
     budget): publishing trouble never changes the verdict, which is in result.json and the
     `verdict` output;
     A `workflow_run` event publishes a fork's artifact: result.json is checked first
     (`gate.github.artifact`); a refused artifact posts nothing and warns why (still 0);
  2  usage: result.json missing or of another schema, invalid configuration, unknown event,
     missing or malformed event payload, or no token when GitHub surfaces were asked for;
  1  an internal failure (the CLI's fail-closed rule).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from gate.config import load_config
from gate.config.publish import ALL_SURFACES
from gate.errors import UsageError
from gate.github import GITHUB_SURFACES, Overrides, PublishOptions, publish, read_context
from gate.github.artifact import ArtifactRefused, load_untrusted_result
from gate.github.summary import add_masks, emit_warnings
from gate.model import GateResult


def main(args: argparse.Namespace) -> int:
    env = os.environ
    token = env.get("GATE_GITHUB_TOKEN") or env.get("GITHUB_TOKEN") or ""
    in_actions = env.get("GITHUB_ACTIONS") == "true"
    if in_actions:  # before anything else is printed
        add_masks([env.get("GATE_GITHUB_TOKEN", ""), env.get("GITHUB_TOKEN", "")])
    config = load_config(getattr(args, "config", None))
    if in_actions:
        add_masks(config.secret_values)
    result_path = Path(args.result)
    surfaces = _surfaces(getattr(args, "surfaces", None), list(config.publish.surfaces))
    dry_run = bool(args.dry_run)
    context = None
    untrusted = env.get("GITHUB_EVENT_NAME") == "workflow_run"
    if untrusted or any(s in GITHUB_SURFACES for s in surfaces):
        overrides = Overrides(
            environment=getattr(args, "environment", None),
            pr=getattr(args, "pr", None),
            deployment_id=getattr(args, "deployment_id", None),
            sha=getattr(args, "sha", None),
        )
        context = read_context(env, default_environment=config.environment, overrides=overrides)
        if not token and not dry_run and any(s in GITHUB_SURFACES for s in surfaces):
            raise UsageError(
                "no GitHub token: set GITHUB_TOKEN (or GATE_GITHUB_TOKEN), e.g. "
                "`env: GITHUB_TOKEN: ${{ github.token }}`, or publish only the step summary "
                "with `--surfaces summary`"
            )
    if untrusted and context is not None:
        try:  # a fork's artifact: checked, and posted only where the payload says
            result = load_untrusted_result(result_path, context)
        except ArtifactRefused as exc:
            emit_warnings([f"nothing was published: {exc}"], in_actions=in_actions)
            print("gate publish: nothing was published (the artifact was refused, see warning)")
            return 0
    else:
        result = read_result(result_path)
    summary_path = result_path.with_name("summary.md")
    # an artifact's summary.md was written by the fork: not offered as an output
    offered = summary_path if summary_path.is_file() and not untrusted else None
    options = PublishOptions(
        token=token or None,
        budget_s=config.publish.budget_s,
        write_interval_s=config.publish.write_interval_s,
        fallback_path=_fallback_path(config.source),
        workspace=env.get("GITHUB_WORKSPACE") or os.getcwd(),
        result_path=result_path,
        summary_path=offered,
        step_summary=_path(env.get("GITHUB_STEP_SUMMARY")),
        output=_path(env.get("GITHUB_OUTPUT")),
        secrets=config.secret_values,
    )
    report = publish(result, context, surfaces, dry_run, options=options)
    for line in report.published:
        print(f"gate publish: {line}")
    for note in report.notes:
        print(f"gate publish: {note}")
    emit_warnings(report.warnings, in_actions=in_actions)
    state = "degraded (see warnings)" if report.degraded else "done"
    print(f"gate publish: {state}; the verdict stays {result.verdict} ({result.outcome})")
    return 0


def read_result(path: Path) -> GateResult:
    """Load result.json, or a `UsageError` saying what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path}: result file not found; run `gate run` or `gate report` first, "
            "or pass --result PATH"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: not valid JSON: {exc}") from None
    try:
        return GateResult.from_json(data)
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None


def _surfaces(flag: str | None, configured: list[str]) -> list[str]:
    if not flag:
        return configured
    chosen = [s.strip() for s in flag.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in ALL_SURFACES]
    if unknown:
        raise UsageError(
            f"--surfaces: unknown surface(s) {', '.join(unknown)}; "
            f"choose from {', '.join(ALL_SURFACES)}"
        )
    return chosen


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _fallback_path(source: str) -> str:
    """Where annotations without a file point: the configuration file when it is in the repo."""
    path = Path(source)
    if path.is_file() and not path.is_absolute():
        return path.as_posix()
    return "gate.toml"


__all__ = ["main", "read_result"]
