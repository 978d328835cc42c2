"""`gate require --environment ENV [--sha SHA] [--wait SECONDS]` (docs/design.md, issue 13).

Exit codes: 0 only when the gate's verdict for ENV on SHA is success; 1 for failure, error,
pending or no verdict at all (and for GitHub trouble: an unanswered question is not a yes);
2 for usage: no token, bad arguments, no repository, a commit that does not exist.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping

from gate.errors import UsageError
from gate.github.api import PyGithubApi
from gate.github.client import Budget, Retrier, build_github
from gate.github.context import api_url_from, read_context
from gate.github.require import Found, await_verdict, read_verdict
from gate.github.summary import add_masks
from gate.workflow_io import command

_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
READ_BUDGET_S = 60.0


def main(args: argparse.Namespace) -> int:
    env = os.environ
    token = env.get("GATE_GITHUB_TOKEN") or env.get("GITHUB_TOKEN") or ""
    if env.get("GITHUB_ACTIONS") == "true":
        add_masks([token])
    environment = (args.environment or "").strip()
    if not environment:
        raise UsageError("--environment is empty: name the environment whose verdict is required")
    if args.wait < 0 or args.interval <= 0:
        raise UsageError("--wait must be 0 or more seconds and --interval more than 0")
    if not token:
        raise UsageError(
            "no GitHub token: set GITHUB_TOKEN (or GATE_GITHUB_TOKEN), e.g. "
            "`env: GITHUB_TOKEN: ${{ github.token }}` (reading statuses and checks is enough)"
        )
    repository = env.get("GITHUB_REPOSITORY", "")
    if repository.count("/") != 1 or not all(repository.split("/")):
        raise UsageError(f"GITHUB_REPOSITORY must be 'owner/name', found {repository!r}")
    sha = _sha(args.sha, env, environment)
    budget = Budget(args.wait + READ_BUDGET_S)
    gh = build_github(token, api_url_from(env), budget=budget, write_interval_s=0)
    api = PyGithubApi(gh, repository)
    retrier = Retrier(budget)
    try:
        found = await_verdict(
            lambda: read_verdict(api, retrier, sha, environment),
            wait_s=args.wait,
            interval_s=args.interval,
            say=lambda line: print(f"gate require: {line}", file=sys.stderr, flush=True),
        )
    finally:
        api.close()
    return _verdict(found, environment, sha, in_actions=env.get("GITHUB_ACTIONS") == "true")


def _verdict(found: Found, environment: str, sha: str, *, in_actions: bool) -> int:
    message = found.explain(environment, sha)
    if found.passed:
        print(f"gate require: {message}: may proceed")
        return 0
    if in_actions:  # the reason as the job's error annotation
        print(command("error", f"{message}: the verdict is block", title="deploy-gate require"))
    print(f"gate require: {message}: the verdict is block", file=sys.stderr)
    return 1


def _sha(given: str | None, env: Mapping[str, str], environment: str) -> str:
    """--sha, else the event's commit (a deployment's sha, a pull request's head)."""
    sha = (given or "").strip()
    if not sha:
        try:
            sha = read_context(env, default_environment=environment).sha or ""
        except UsageError:
            sha = env.get("GITHUB_SHA", "")
    if not sha:
        raise UsageError("no commit: give --sha SHA (outside Actions GITHUB_SHA is not set)")
    if not _SHA.fullmatch(sha):
        raise UsageError(f"--sha must be a commit sha (7 to 40 hex digits), found {sha!r}")
    return sha


__all__ = ["main"]
