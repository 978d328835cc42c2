"""The GitHub operations the publishers need, as single HTTP attempts.

`PyGithubApi` talks to GitHub through PyGithub (built by `client.build_github`); `DryRunApi`
prints the same calls and sends nothing (`gate publish --dry-run`). Publishers depend only on the
`GitHubApi` protocol, so retrying and convergence logic is the same for both and testable.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TextIO

from github import Github, GithubException

from gate.errors import PublishError


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    user: str
    created_at: datetime | None
    html_url: str


@dataclass(frozen=True, slots=True)
class PullRef:
    number: int
    head_sha: str
    state: str


@dataclass(frozen=True, slots=True)
class DeploymentRef:
    """A deployment as a rerun needs it: which commit went to which environment."""

    id: int
    sha: str
    environment: str


class GitHubApi(Protocol):
    def list_comments(self, pr: int) -> list[Comment]: ...
    def create_comment(self, pr: int, body: str) -> Comment: ...
    def edit_comment(self, comment_id: int, body: str) -> Comment: ...
    def delete_comment(self, comment_id: int) -> None: ...
    def pulls_for_commit(self, sha: str) -> list[PullRef]: ...
    def create_deployment_status(self, deployment_id: int, payload: dict[str, Any]) -> None: ...
    def list_deployment_statuses(self, deployment_id: int) -> list[dict[str, Any]]: ...
    def create_commit_status(self, sha: str, payload: dict[str, Any]) -> None: ...
    def list_commit_statuses(self, sha: str) -> list[dict[str, Any]]: ...
    def create_check_run(self, payload: dict[str, Any]) -> int: ...
    def update_check_run(self, check_run_id: int, payload: dict[str, Any]) -> None: ...
    def find_check_run(self, sha: str, name: str, external_id: str) -> int | None: ...
    def count_check_run_annotations(self, check_run_id: int) -> int: ...
    def get_deployment(self, deployment_id: int) -> DeploymentRef: ...
    def latest_deployment(self, environment: str) -> DeploymentRef | None: ...
    def get_pull(self, number: int) -> PullRef: ...
    def pulls_for_head(self, label: str) -> list[PullRef]: ...


class VerdictApi(Protocol):
    """The reads `gate require` needs (a read-only token is enough)."""

    def combined_statuses(self, sha: str) -> list[dict[str, Any]]: ...
    def check_runs_named(self, sha: str, name: str) -> list[dict[str, Any]]: ...


class PyGithubApi:
    """Production: each method is one PyGithub call (one request, or one walk over pages)."""

    def __init__(self, gh: Github, repository: str) -> None:
        self._gh = gh
        self._repo = gh.get_repo(repository)  # lazy: no request
        self._path = f"/repos/{repository}"

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._gh.close()

    def list_comments(self, pr: int) -> list[Comment]:
        return [_comment(c) for c in self._repo.get_issue(pr).get_comments()]

    def create_comment(self, pr: int, body: str) -> Comment:
        return _comment(self._repo.get_issue(pr).create_comment(body))

    def edit_comment(self, comment_id: int, body: str) -> Comment:
        _, data = self._gh.requester.requestJsonAndCheck(
            "PATCH", f"{self._path}/issues/comments/{comment_id}", input={"body": body}
        )
        return _comment_from_json(data)

    def delete_comment(self, comment_id: int) -> None:
        try:
            self._gh.requester.requestJsonAndCheck(
                "DELETE", f"{self._path}/issues/comments/{comment_id}"
            )
        except GithubException as exc:
            if exc.status != 404:  # already deleted by a concurrent run: that is the goal
                raise

    def pulls_for_commit(self, sha: str) -> list[PullRef]:
        # Raw request: PyGithub's Commit.get_pulls sends the retired `groot-preview` media type,
        # which GitHub's API description does not offer (Prism answers 406). One page of 100 is
        # plenty: a commit is the head of a handful of pull requests at most.
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET", f"{self._path}/commits/{sha}/pulls", parameters={"per_page": 100}
        )
        return [_pull(p) for p in (data if isinstance(data, list) else [])]

    def create_deployment_status(self, deployment_id: int, payload: dict[str, Any]) -> None:
        # Raw request: PyGithub's Deployment.create_status has no `log_url` (docs/design.md, "Why").
        self._gh.requester.requestJsonAndCheck(
            "POST", f"{self._path}/deployments/{deployment_id}/statuses", input=payload
        )

    def list_deployment_statuses(self, deployment_id: int) -> list[dict[str, Any]]:
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET", f"{self._path}/deployments/{deployment_id}/statuses", parameters={"per_page": 10}
        )
        return list(data) if isinstance(data, list) else []

    def create_commit_status(self, sha: str, payload: dict[str, Any]) -> None:
        self._repo.get_commit(sha).create_status(**payload)

    def list_commit_statuses(self, sha: str) -> list[dict[str, Any]]:
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET", f"{self._path}/commits/{sha}/statuses", parameters={"per_page": 30}
        )
        return list(data) if isinstance(data, list) else []

    def create_check_run(self, payload: dict[str, Any]) -> int:
        return int(self._repo.create_check_run(**payload).id)

    def update_check_run(self, check_run_id: int, payload: dict[str, Any]) -> None:
        self._gh.requester.requestJsonAndCheck(
            "PATCH", f"{self._path}/check-runs/{check_run_id}", input=payload
        )

    def find_check_run(self, sha: str, name: str, external_id: str) -> int | None:
        # Raw request: Commit.get_check_runs asks for `application/vnd.github.v3+json` only,
        # a media type GitHub's API description does not list for this operation.
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET",
            f"{self._path}/commits/{sha}/check-runs",
            parameters={"check_name": name, "per_page": 100},
        )
        for run in (data or {}).get("check_runs", []):
            if run.get("external_id") == external_id:
                return int(run["id"])
        return None

    def count_check_run_annotations(self, check_run_id: int) -> int:
        count, page = 0, 1
        while True:  # at most MAX_ANNOTATIONS / 100 pages
            _, data = self._gh.requester.requestJsonAndCheck(
                "GET",
                f"{self._path}/check-runs/{check_run_id}/annotations",
                parameters={"per_page": 100, "page": page},
            )
            batch = data if isinstance(data, list) else []
            count += len(batch)
            if len(batch) < 100:
                return count
            page += 1

    def get_deployment(self, deployment_id: int) -> DeploymentRef:
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET", f"{self._path}/deployments/{deployment_id}"
        )
        return _deployment(data)

    def latest_deployment(self, environment: str) -> DeploymentRef | None:
        # GitHub lists deployments newest first.
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET",
            f"{self._path}/deployments",
            parameters={"environment": environment, "per_page": 1},
        )
        found = data if isinstance(data, list) else []
        return _deployment(found[0]) if found else None

    def get_pull(self, number: int) -> PullRef:
        _, data = self._gh.requester.requestJsonAndCheck("GET", f"{self._path}/pulls/{number}")
        return _pull(data)

    def pulls_for_head(self, label: str) -> list[PullRef]:
        # `head=owner:branch` finds a fork's pull request, which `commits/{sha}/pulls` does not.
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET",
            f"{self._path}/pulls",
            parameters={"head": label, "state": "open", "per_page": 100},
        )
        return [_pull(p) for p in (data if isinstance(data, list) else [])]

    def combined_statuses(self, sha: str) -> list[dict[str, Any]]:
        # The combined status holds the latest status of each context (one page of 100).
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET", f"{self._path}/commits/{sha}/status", parameters={"per_page": 100}
        )
        statuses = (data or {}).get("statuses") if isinstance(data, dict) else None
        return list(statuses) if isinstance(statuses, list) else []

    def check_runs_named(self, sha: str, name: str) -> list[dict[str, Any]]:
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET",
            f"{self._path}/commits/{sha}/check-runs",
            parameters={"check_name": name, "filter": "latest", "per_page": 100},
        )
        runs = (data or {}).get("check_runs") if isinstance(data, dict) else None
        return list(runs) if isinstance(runs, list) else []


def _deployment(data: Any) -> DeploymentRef:
    return DeploymentRef(
        id=int(data["id"]), sha=str(data["sha"]), environment=str(data.get("environment") or "")
    )


def _pull(data: Any) -> PullRef:
    return PullRef(
        number=int(data["number"]), head_sha=str(data["head"]["sha"]), state=str(data["state"])
    )


def _comment(c: Any) -> Comment:
    return Comment(
        id=int(c.id),
        body=c.body or "",
        user=c.user.login if c.user is not None else "",
        created_at=c.created_at,
        html_url=c.html_url or "",
    )


def _comment_from_json(data: dict[str, Any]) -> Comment:
    created = data.get("created_at")
    return Comment(
        id=int(data["id"]),
        body=str(data.get("body") or ""),
        user=str((data.get("user") or {}).get("login", "")),
        created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        html_url=str(data.get("html_url") or ""),
    )


class DryRunApi:
    """Prints each call (method, path, body summary) and sends nothing."""

    def __init__(self, repository: str, stream: TextIO | None = None) -> None:
        self._path = f"/repos/{repository}"
        self._stream = stream or sys.stdout
        self._next_id = 1

    def _say(self, method: str, path: str, body: Any = None) -> None:
        summary = "" if body is None else f"  {_summarize(body)}"
        print(f"dry-run: {method} {self._path}{path}{summary}", file=self._stream)

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def list_comments(self, pr: int) -> list[Comment]:
        self._say("GET", f"/issues/{pr}/comments")
        return []

    def create_comment(self, pr: int, body: str) -> Comment:
        self._say("POST", f"/issues/{pr}/comments", {"body": body})
        return Comment(self._id(), body, "", None, f"(dry-run comment on #{pr})")

    def edit_comment(self, comment_id: int, body: str) -> Comment:
        self._say("PATCH", f"/issues/comments/{comment_id}", {"body": body})
        return Comment(comment_id, body, "", None, "")

    def delete_comment(self, comment_id: int) -> None:
        self._say("DELETE", f"/issues/comments/{comment_id}")

    def pulls_for_commit(self, sha: str) -> list[PullRef]:
        self._say("GET", f"/commits/{sha}/pulls")
        return []

    def create_deployment_status(self, deployment_id: int, payload: dict[str, Any]) -> None:
        self._say("POST", f"/deployments/{deployment_id}/statuses", payload)

    def list_deployment_statuses(self, deployment_id: int) -> list[dict[str, Any]]:
        self._say("GET", f"/deployments/{deployment_id}/statuses")
        return []

    def create_commit_status(self, sha: str, payload: dict[str, Any]) -> None:
        self._say("POST", f"/statuses/{sha}", payload)

    def list_commit_statuses(self, sha: str) -> list[dict[str, Any]]:
        self._say("GET", f"/commits/{sha}/statuses")
        return []

    def create_check_run(self, payload: dict[str, Any]) -> int:
        self._say("POST", "/check-runs", payload)
        return self._id()

    def update_check_run(self, check_run_id: int, payload: dict[str, Any]) -> None:
        self._say("PATCH", f"/check-runs/{check_run_id}", payload)

    def find_check_run(self, sha: str, name: str, external_id: str) -> int | None:
        self._say("GET", f"/commits/{sha}/check-runs?check_name={name}")
        return None

    def count_check_run_annotations(self, check_run_id: int) -> int:
        self._say("GET", f"/check-runs/{check_run_id}/annotations")
        return 0

    # A dry run sends no request, so it cannot learn what a rerun is about.
    def get_deployment(self, deployment_id: int) -> DeploymentRef:
        self._say("GET", f"/deployments/{deployment_id}")
        raise _unresolved(f"deployment {deployment_id}")

    def latest_deployment(self, environment: str) -> DeploymentRef | None:
        self._say("GET", f"/deployments?environment={environment}")
        raise _unresolved(f"the latest deployment of {environment!r}")

    def get_pull(self, number: int) -> PullRef:
        self._say("GET", f"/pulls/{number}")
        raise _unresolved(f"the head of pull request #{number}")

    def pulls_for_head(self, label: str) -> list[PullRef]:
        self._say("GET", f"/pulls?head={label}")
        return []


def _unresolved(what: str) -> Exception:
    return PublishError(f"dry-run: {what} is not looked up (no request is sent)")


def _summarize(body: Any) -> str:
    """Short fields as they are, long strings by length, lists by count: one readable line."""
    if not isinstance(body, dict):
        return _short(body)
    parts = [
        f"{key}={_summarize(value) if isinstance(value, dict) else _short(value)}"
        for key, value in body.items()
    ]
    return "{" + ", ".join(parts) + "}"


def _short(value: Any) -> str:
    if isinstance(value, str) and len(value) > 80:
        first = value.splitlines()[0][:60] if value else ""
        return f"<{len(value)} chars: {json.dumps(first)}...>"
    if isinstance(value, list):
        return f"<{len(value)} items>"
    return json.dumps(value, default=str)
