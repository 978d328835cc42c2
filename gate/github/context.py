"""Where to publish: read from the `GITHUB_*` environment and the event payload.

Supported events: `deployment_status`, `pull_request`, `pull_request_target`,
`workflow_dispatch` (inputs `target-url`, `environment`, `pr-number`, `deployment-id`), `push`
and `workflow_run` (the fork-PR recipe: the gate ran in an unprivileged `pull_request` run, this
run publishes its result with a write token). Explicit `Overrides` (CLI flags / `GATE_*`
variables) win over the payload. Every problem is a `UsageError` naming the variable, file or key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gate.errors import UsageError

EVENTS = (
    "deployment_status",
    "pull_request",
    "pull_request_target",
    "workflow_dispatch",
    "push",
    "workflow_run",
)
_NEEDS_PAYLOAD = {"deployment_status", "pull_request", "pull_request_target", "workflow_run"}


@dataclass(frozen=True, slots=True)
class Overrides:
    """Values a person or the action gives explicitly; each wins over the event payload."""

    environment: str | None = None
    pr: int | None = None
    deployment_id: int | None = None
    sha: str | None = None
    target_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Overrides:
        return cls(
            environment=env.get("GATE_ENVIRONMENT") or None,
            pr=_int_or_none(env.get("GATE_PR_NUMBER"), "GATE_PR_NUMBER"),
            deployment_id=_int_or_none(env.get("GATE_DEPLOYMENT_ID"), "GATE_DEPLOYMENT_ID"),
            sha=env.get("GATE_SHA") or None,
            target_url=env.get("GATE_TARGET_URL") or None,
        )

    def merged(self, other: Overrides) -> Overrides:
        """`self` where set, else `other` (CLI flags over environment variables)."""
        return Overrides(
            environment=self.environment or other.environment,
            pr=self.pr if self.pr is not None else other.pr,
            deployment_id=self.deployment_id
            if self.deployment_id is not None
            else other.deployment_id,
            sha=self.sha or other.sha,
            target_url=self.target_url or other.target_url,
        )


@dataclass(frozen=True, slots=True)
class GitHubContext:
    event: str
    repository: str  # owner/name
    api_url: str
    run_url: str | None
    sha: str | None  # the commit the statuses go to (a PR's head, the deployed sha)
    environment: str
    pull_requests: tuple[int, ...] = ()
    find_pulls: bool = False  # look up open PRs whose head is `sha` (deployments, pushes)
    deployment_id: int | None = None
    environment_url: str | None = None  # kept on the deployment status
    target_url: str | None = None  # default target: dispatch input, else environment_url
    fork: bool = False  # a fork PR under `pull_request`: the token is read-only
    run_key: str = ""  # identifies this run (check run external_id)
    # What a rerun must look up through the API before publishing (`gate.github.rerun`):
    # "deployment" (sha, environment, URL of `deployment_id`), "latest-deployment" (the same for
    # the newest deployment of `environment`), "pr-head" (the head sha of the one pull request).
    resolve: str | None = None
    head_label: str | None = None  # `owner:branch` of a workflow_run's head (finds fork PRs)
    run_repository: str | None = None  # workflow_run: the repository the finished run belongs to


def read_context(
    env: Mapping[str, str], *, default_environment: str, overrides: Overrides | None = None
) -> GitHubContext:
    """Build the publishing context; raises `UsageError` with what is missing or malformed."""
    overrides = (overrides or Overrides()).merged(Overrides.from_env(env))
    event = env.get("GITHUB_EVENT_NAME", "")
    if not event:
        raise UsageError(
            "GITHUB_EVENT_NAME is not set: `gate publish` reads the GitHub Actions environment. "
            "Outside Actions set GITHUB_REPOSITORY, GITHUB_EVENT_NAME=workflow_dispatch and "
            "GATE_PR_NUMBER / GATE_DEPLOYMENT_ID / GATE_SHA as needed"
        )
    if event not in EVENTS:
        raise UsageError(
            f"unsupported event {event!r} (GITHUB_EVENT_NAME); deploy-gate publishes for: "
            f"{', '.join(EVENTS)}"
        )
    repository = env.get("GITHUB_REPOSITORY", "")
    if repository.count("/") != 1 or not all(repository.split("/")):
        raise UsageError(f"GITHUB_REPOSITORY must be 'owner/name', found {repository!r}")
    payload = _payload(env, event)
    base = _Base(env, repository, event)
    reader = {
        "deployment_status": _deployment_status,
        "pull_request": _pull_request,
        "pull_request_target": _pull_request,
        "workflow_dispatch": _workflow_dispatch,
        "push": _push,
        "workflow_run": _workflow_run,
    }[event]
    fields = reader(payload, base)
    return _finish(fields, base, overrides, default_environment)


@dataclass
class _Base:
    env: Mapping[str, str]
    repository: str
    event: str

    @property
    def run_url(self) -> str | None:
        server = self.env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        run_id = self.env.get("GITHUB_RUN_ID")
        return f"{server}/{self.repository}/actions/runs/{run_id}" if run_id else None


def _payload(env: Mapping[str, str], event: str) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH", "")
    if not path:
        if event in _NEEDS_PAYLOAD:
            raise UsageError(f"GITHUB_EVENT_PATH is not set; a {event} event needs its payload")
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot read the event payload (GITHUB_EVENT_PATH): {exc}"
        ) from None
    except ValueError as exc:
        raise UsageError(f"{path}: the event payload is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(
            f"{path}: the event payload must be a JSON object, found {type(data).__name__}"
        )
    return data


def _get(payload: dict[str, Any], dotted: str, kind: type, *, required: bool = True) -> Any:
    value: Any = payload
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        found = "nothing" if value is None else f"{value!r} ({type(value).__name__})"
        raise UsageError(
            f"event payload (GITHUB_EVENT_PATH): key '{dotted}' should be a "
            f"{kind.__name__}, found {found}"
        )
    return value


def _deployment_status(payload: dict[str, Any], base: _Base) -> dict[str, Any]:
    url = _get(payload, "deployment_status.environment_url", str, required=False) or None
    return {
        "deployment_id": _get(payload, "deployment.id", int),
        "sha": _get(payload, "deployment.sha", str),
        "environment": _get(payload, "deployment.environment", str, required=False),
        "environment_url": url,
        "target_url": url,
        "find_pulls": True,
    }


def _pull_request(payload: dict[str, Any], base: _Base) -> dict[str, Any]:
    number = _get(payload, "pull_request.number", int, required=False)
    number = number if number is not None else _get(payload, "number", int)
    head_repo = _get(payload, "pull_request.head.repo.full_name", str, required=False)
    base_repo = _get(payload, "pull_request.base.repo.full_name", str, required=False)
    return {
        "pull_requests": (number,),
        "sha": _get(payload, "pull_request.head.sha", str),
        # pull_request_target runs with the base repository's token even for forks
        "fork": base.event == "pull_request" and head_repo != (base_repo or base.repository),
    }


def _workflow_dispatch(payload: dict[str, Any], base: _Base) -> dict[str, Any]:
    inputs = payload.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise UsageError("event payload (GITHUB_EVENT_PATH): key 'inputs' should be an object")

    def field_(name: str) -> str | None:
        value = inputs.get(name, inputs.get(name.replace("-", "_")))
        return str(value).strip() or None if value is not None else None

    pr = field_("pr-number")
    deployment = field_("deployment-id")
    target = field_("target-url") or field_("target")
    environment = field_("environment")
    return {
        # `environment` alone (no deployment, URL or PR) re-judges its latest deployment
        "environment_alone": bool(environment) and not (deployment or target or pr),
        "sha": base.env.get("GITHUB_SHA") or None,
        "environment": environment,
        "target_url": target,
        "pull_requests": (_int_or_none(pr, "workflow_dispatch input 'pr-number'"),) if pr else (),
        "deployment_id": _int_or_none(deployment, "workflow_dispatch input 'deployment-id'"),
    }


def _push(payload: dict[str, Any], base: _Base) -> dict[str, Any]:
    sha = _get(payload, "after", str, required=False) or base.env.get("GITHUB_SHA") or None
    return {"sha": sha, "find_pulls": True}


def _workflow_run(payload: dict[str, Any], base: _Base) -> dict[str, Any]:
    pulls = _get(payload, "workflow_run.pull_requests", list, required=False) or []
    numbers = tuple(
        p["number"] for p in pulls if isinstance(p, dict) and isinstance(p.get("number"), int)
    )
    return {
        "sha": _get(payload, "workflow_run.head_sha", str),
        "pull_requests": numbers,
        "find_pulls": not numbers,  # fork PRs are not listed in the payload
        "run_url": _get(payload, "workflow_run.html_url", str, required=False),
        "head_label": _head_label(payload),
        "run_repository": _get(payload, "workflow_run.repository.full_name", str, required=False),
    }


def _head_label(payload: dict[str, Any]) -> str | None:
    owner = _get(payload, "workflow_run.head_repository.owner.login", str, required=False)
    branch = _get(payload, "workflow_run.head_branch", str, required=False)
    return f"{owner}:{branch}" if owner and branch else None


def _finish(
    fields: dict[str, Any], base: _Base, overrides: Overrides, default_environment: str
) -> GitHubContext:
    env = base.env
    pulls = fields.get("pull_requests", ())
    if overrides.pr is not None:
        pulls = (overrides.pr,)
    deployment_id = overrides.deployment_id or fields.get("deployment_id")
    environment = overrides.environment or fields.get("environment") or default_environment
    run_key = "-".join(
        part
        for part in (env.get("GITHUB_RUN_ID"), env.get("GITHUB_RUN_ATTEMPT"), environment)
        if part
    )
    return GitHubContext(
        event=base.event,
        repository=base.repository,
        api_url=_api_url(env.get("GITHUB_API_URL")),
        run_url=fields.get("run_url") or base.run_url,
        sha=overrides.sha or fields.get("sha") or env.get("GITHUB_SHA") or None,
        environment=environment,
        pull_requests=tuple(pulls),
        find_pulls=bool(fields.get("find_pulls")) and overrides.pr is None,
        deployment_id=deployment_id,
        environment_url=fields.get("environment_url"),
        target_url=overrides.target_url or fields.get("target_url"),
        fork=bool(fields.get("fork")),
        run_key=run_key,
        resolve=_resolve(base.event, fields, overrides, deployment_id, pulls),
        head_label=fields.get("head_label"),
        run_repository=fields.get("run_repository"),
    )


def _resolve(
    event: str,
    fields: dict[str, Any],
    overrides: Overrides,
    deployment_id: int | None,
    pulls: tuple[int, ...],
) -> str | None:
    """What a manual rerun still has to look up (an explicit `--sha` / GATE_SHA is kept)."""
    if event != "workflow_dispatch":
        return None
    if deployment_id is not None:
        return "deployment"
    if overrides.sha:
        return None
    if fields.get("environment_alone") and overrides.pr is None and not overrides.target_url:
        return "latest-deployment"
    return "pr-head" if len(pulls) == 1 else None


def api_url_from(env: Mapping[str, str]) -> str:
    """The API base from GITHUB_API_URL (https://api.github.com when unset)."""
    return _api_url(env.get("GITHUB_API_URL"))


def _api_url(value: str | None) -> str:
    """GITHUB_API_URL (GitHub Enterprise, tests), checked here: the client cannot use a non-URL."""
    url = (value or "https://api.github.com").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"GITHUB_API_URL must be an http(s) URL such as https://api.github.com, found {value!r}"
        )
    return url


def _int_or_none(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).lstrip("#"))
    except ValueError:
        raise UsageError(f"{name} should be a number, found {value!r}") from None
    if number <= 0:
        raise UsageError(f"{name} should be a positive number, found {value!r}")
    return number
