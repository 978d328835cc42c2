"""Reruns re-judge what was deployed, not the branch the dispatch ran on.

A `workflow_dispatch` run's `GITHUB_SHA` is the head of the branch it was started from, not the
commit that is deployed. So before publishing, a rerun looks up through the API (issue 13):

- `deployment-id`: that deployment's sha and environment, and its `environment_url` from its
  latest successful status (the target when the `target-url` input is empty);
- `environment` alone: the same for that environment's newest deployment (only for a result
  that checked a target: JUnit files alone judged no deployment, `for_result`);
- `pr-number`: the pull request's head sha.

Statuses, check run and comment then go to that sha and its pull requests. Anything that cannot
be looked up is a `PublishError`: nothing is posted rather than posted on the wrong commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TypeVar

from github import GithubException

from gate.errors import PublishError
from gate.github.api import DeploymentRef, GitHubApi, PyGithubApi
from gate.github.client import Budget, Retrier, build_github, message_of
from gate.github.context import GitHubContext, read_context

__all__ = ["for_result", "resolve_from_env", "resolve_rerun"]

T = TypeVar("T")
READ_BUDGET_S = 30.0


def resolve_rerun(ctx: GitHubContext, api: GitHubApi, retrier: Retrier) -> GitHubContext:
    """`ctx` with the looked-up sha, environment and URLs; unchanged when nothing is to resolve."""
    if ctx.resolve == "pr-head" and ctx.pull_requests:
        number = ctx.pull_requests[0]
        pull = _read(
            retrier,
            f"pull request #{number}",
            lambda: api.get_pull(number),
            f"pull request #{number} was not found in {ctx.repository}: check the "
            "workflow_dispatch input pr-number (GATE_PR_NUMBER / --pr)",
        )
        return dataclasses.replace(ctx, sha=pull.head_sha, resolve=None)
    if ctx.resolve not in ("deployment", "latest-deployment"):
        return ctx
    deployment = _deployment(ctx, api, retrier)
    url = _environment_url(api, retrier, deployment)
    return dataclasses.replace(
        ctx,
        sha=deployment.sha,
        environment=deployment.environment or ctx.environment,
        deployment_id=deployment.id,
        environment_url=url,
        target_url=ctx.target_url or url,
        find_pulls=not ctx.pull_requests,
        resolve=None,
    )


def for_result(ctx: GitHubContext, target: str | None) -> GitHubContext:
    """`ctx` for publishing a result that checked `target`.

    `environment` alone re-judges that environment's latest deployment only when the result
    checked a target: JUnit files alone (`gate report`, no target) judged no deployment, so they
    are reported on the dispatch's commit, as before the reruns. A `deployment-id` or
    `pr-number` given explicitly is still looked up.
    """
    if ctx.resolve == "latest-deployment" and not target:
        return dataclasses.replace(ctx, resolve=None)
    return ctx


def resolve_from_env(env: Mapping[str, str], token: str) -> GitHubContext | None:
    """For the action's input check: the deployment a rerun re-judges, or None when the run is
    not a rerun of a deployment. Raises `GateError` (usage or publish) saying what is wrong."""
    ctx = read_context(env, default_environment="default")
    if ctx.resolve not in ("deployment", "latest-deployment"):
        return None
    if not token:
        raise PublishError("a token is needed to look the deployment up (github-token)")
    budget = Budget(READ_BUDGET_S)
    gh = build_github(token, ctx.api_url, budget=budget, write_interval_s=0)
    api = PyGithubApi(gh, ctx.repository)
    try:
        return resolve_rerun(ctx, api, Retrier(budget))
    except GithubException as exc:
        raise PublishError(f"GitHub answered {exc.status}: {message_of(exc)}") from exc
    finally:
        api.close()


def _deployment(ctx: GitHubContext, api: GitHubApi, retrier: Retrier) -> DeploymentRef:
    if ctx.resolve == "deployment" and ctx.deployment_id is not None:
        did = ctx.deployment_id
        return _read(
            retrier,
            f"deployment {did}",
            lambda: api.get_deployment(did),
            f"deployment {did} was not found in {ctx.repository} (404): check the "
            "workflow_dispatch input deployment-id (GATE_DEPLOYMENT_ID / --deployment-id) and "
            "that the token may read deployments",
        )
    env = ctx.environment
    found = _read(
        retrier,
        f"the latest deployment of {env!r}",
        lambda: api.latest_deployment(env),
        f"listing the deployments of {ctx.repository} answered 404",
    )
    if found is None:
        raise PublishError(
            f"environment {env!r} has no deployment in {ctx.repository}, so there is nothing to "
            "re-judge: check the workflow_dispatch input environment, or give deployment-id or "
            "target-url"
        )
    return found


def _environment_url(api: GitHubApi, retrier: Retrier, deployment: DeploymentRef) -> str | None:
    """The URL of the deployment's latest successful status (GitHub lists newest first)."""
    statuses = retrier.run(
        f"deployment {deployment.id} statuses",
        lambda _n: api.list_deployment_statuses(deployment.id),
    )
    for status in statuses:
        if status.get("state") == "success" and status.get("environment_url"):
            return str(status["environment_url"])
    return None


def _read(retrier: Retrier, what: str, call: Callable[[], T], not_found: str) -> T:
    try:
        return retrier.run(what, lambda _n: call())
    except GithubException as exc:
        if exc.status == 404:
            raise PublishError(not_found) from exc
        raise
