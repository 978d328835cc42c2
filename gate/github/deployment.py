"""The deployment status: the verdict on the deployment itself (Environments page, PR timeline).

Sent as a raw request because PyGithub's `Deployment.create_status` has no `log_url`. A POST is
not retried blindly: a later attempt first lists the deployment's statuses and stops if the
status it was about to create is already there (the earlier POST reached GitHub).
"""

from __future__ import annotations

from typing import Any

from github import GithubException

from gate.github.api import GitHubApi
from gate.github.client import PublishError, Retrier
from gate.github.text import DESCRIPTION_PREFIX, describe
from gate.model import GateResult, Outcome, Verdict


def deployment_state(result: GateResult) -> str:
    if result.outcome is Outcome.ERROR:
        return "error"
    return "success" if result.verdict is Verdict.PASS else "failure"


def deployment_payload(
    result: GateResult, *, environment: str, environment_url: str | None, log_url: str | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "state": deployment_state(result),
        # Deployment statuses have no context: the prefix says who judged, and lets a
        # `deployment_status` workflow skip the statuses the gate itself posted.
        "description": describe(result, prefix=DESCRIPTION_PREFIX),
        "environment": environment,
    }
    if log_url:
        payload["log_url"] = log_url
    if environment_url:
        payload["environment_url"] = environment_url
    return payload


def publish_deployment_status(
    api: GitHubApi, retrier: Retrier, deployment_id: int, payload: dict[str, Any], repository: str
) -> None:
    def attempt(n: int) -> None:
        if n > 1 and any(_same(s, payload) for s in api.list_deployment_statuses(deployment_id)):
            return
        api.create_deployment_status(deployment_id, payload)

    try:
        retrier.run(f"deployment {deployment_id} status", attempt)
    except GithubException as exc:
        if exc.status == 404:
            raise PublishError(
                f"deployment {deployment_id} was not found in {repository} (404): check the "
                "deployment id (workflow_dispatch input deployment-id / GATE_DEPLOYMENT_ID) and "
                "that the token may read deployments"
            ) from exc
        raise


def _same(status: dict[str, Any], payload: dict[str, Any]) -> bool:
    return all(status.get(key) == payload.get(key) for key in ("state", "description", "log_url"))
