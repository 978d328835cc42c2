"""The REST routes of the fake GitHub (`tests/fake_github.py`): state in, JSON answers out.

Each route takes a `Ctx` (state, repository, base URL, query, body, path groups) and returns
`(status, payload, headers)`, enforcing GitHub's limits so that a publisher exceeding them fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
Answer = tuple[int, Any, dict[str, str]]


@dataclass
class State:
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[int, dict[str, Any]] = field(default_factory=dict)
    deployment_statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    commit_statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    check_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    commits: set[str] = field(default_factory=set)  # shas that exist besides those seeded
    next_id: int = 1000

    def knows(self, sha: str) -> bool:
        """Whether the commit exists: seeded, a PR head, deployed, or already given statuses."""
        return (
            sha in self.commits
            or sha in self.commit_statuses
            or any(p["sha"] == sha for p in self.pulls.values())
            or any(d["sha"] == sha for d in self.deployments.values())
            or any(r["head_sha"] == sha for r in self.check_runs.values())
        )


def create_comment(state: State, issue: int, body: str, user: str) -> dict[str, Any]:
    state.next_id += 1
    cid = state.next_id
    when = (_EPOCH + timedelta(seconds=cid)).strftime("%Y-%m-%dT%H:%M:%SZ")
    comment = {
        "id": cid,
        "body": body,
        "user": {"login": user, "id": 41898282, "type": "Bot"},
        "created_at": when,
        "updated_at": when,
        "issue": issue,
    }
    state.comments.setdefault(issue, []).append(comment)
    return comment


REASONS = {
    403: "Resource not accessible by integration",
    404: "Not Found",
    429: "API rate limit exceeded",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
NO_ACCESS = "Resource not accessible by integration"
FORBIDDEN = {
    "checks": "Resource not accessible by integration (checks: write is required; "
    "personal access tokens cannot create check runs)"
}


@dataclass
class Ctx:
    state: State
    repository: str
    base: str
    query: dict[str, str]
    body: Any
    args: tuple[str, ...]

    def repo_url(self) -> str:
        return f"{self.base}/repos/{self.repository}"

    def comment_json(self, c: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.repo_url()}/issues/comments/{c['id']}"
        html = f"https://github.com/{self.repository}/pull/{c['issue']}#issuecomment-{c['id']}"
        return {
            **{k: v for k, v in c.items() if k != "issue"},
            "url": url,
            "html_url": html,
            "issue_url": f"{self.repo_url()}/issues/{c['issue']}",
        }

    def page(self, items: list[Any], path: str) -> Answer:
        per_page = max(1, min(100, int(self.query.get("per_page", 30))))
        page = max(1, int(self.query.get("page", 1)))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.base}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, chunk, headers


def _invalid(message: str) -> Answer:
    return 422, {"message": "Validation Failed", "errors": [{"message": message}]}, {}


def _find_comment(ctx: Ctx, cid: int) -> dict[str, Any] | None:
    for comments in ctx.state.comments.values():
        for c in comments:
            if c["id"] == cid:
                return c
    return None


def _list_comments(ctx: Ctx) -> Answer:
    issue = int(ctx.args[0])
    if issue not in ctx.state.pulls:
        return 404, {"message": "Not Found"}, {}
    items = [ctx.comment_json(c) for c in ctx.state.comments.get(issue, [])]
    return ctx.page(items, f"/repos/{ctx.repository}/issues/{issue}/comments")


def _post_comment(ctx: Ctx) -> Answer:
    issue = int(ctx.args[0])
    if issue not in ctx.state.pulls:
        return 404, {"message": "Not Found"}, {}
    body = (ctx.body or {}).get("body")
    if not isinstance(body, str) or not body:
        return _invalid("body is missing")
    if len(body) > 65536:
        return _invalid("Body is too long (maximum is 65536 characters)")
    return 201, ctx.comment_json(create_comment(ctx.state, issue, body, "github-actions[bot]")), {}


def _comment_by_id(ctx: Ctx) -> Answer:
    c = _find_comment(ctx, int(ctx.args[0]))
    return (200, ctx.comment_json(c), {}) if c else (404, {"message": "Not Found"}, {})


def _edit_comment(ctx: Ctx) -> Answer:
    c = _find_comment(ctx, int(ctx.args[0]))
    if c is None:
        return 404, {"message": "Not Found"}, {}
    body = (ctx.body or {}).get("body")
    if not isinstance(body, str) or len(body) > 65536:
        return _invalid("body is missing or too long (maximum is 65536 characters)")
    c["body"] = body
    c["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return 200, ctx.comment_json(c), {}


def _delete_comment(ctx: Ctx) -> Answer:
    c = _find_comment(ctx, int(ctx.args[0]))
    if c is None:
        return 404, {"message": "Not Found"}, {}
    ctx.state.comments[c["issue"]].remove(c)
    return 204, None, {}


def _pull_json(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    repo = ctx.repository
    ref = p.get("head_ref", "feature")
    return {
        "number": p["number"],
        "state": p["state"],
        "url": f"{ctx.repo_url()}/pulls/{p['number']}",
        "html_url": f"https://github.com/{repo}/pull/{p['number']}",
        "head": {
            "sha": p["sha"],
            "ref": ref,
            "label": f"{p['head_repo'].split('/')[0]}:{ref}",
            "repo": {"full_name": p["head_repo"]},
        },
        "base": {"sha": "0" * 40, "ref": "main", "repo": {"full_name": repo}},
    }


def _commit_pulls(ctx: Ctx) -> Answer:
    """Like GitHub: a fork's head commit is not in the base repository, so its PR is not found."""
    sha = ctx.args[0]
    found = [
        _pull_json(ctx, p)
        for p in ctx.state.pulls.values()
        if p["sha"] == sha and p["head_repo"] == ctx.repository
    ]
    return 200, found, {}


def _get_pull(ctx: Ctx) -> Answer:
    p = ctx.state.pulls.get(int(ctx.args[0]))
    return (200, _pull_json(ctx, p), {}) if p else (404, {"message": "Not Found"}, {})


def _list_pulls(ctx: Ctx) -> Answer:
    """`?head=owner:branch&state=open|closed|all`."""
    head, state = ctx.query.get("head"), ctx.query.get("state", "open")
    found = [
        _pull_json(ctx, p)
        for p in ctx.state.pulls.values()
        if (state == "all" or p["state"] == state)
        and (head is None or _pull_json(ctx, p)["head"]["label"] == head)
    ]
    return ctx.page(found, f"/repos/{ctx.repository}/pulls")


def _description_ok(body: dict[str, Any]) -> bool:
    return len(str(body.get("description") or "")) <= 140


def _post_deployment_status(ctx: Ctx) -> Answer:
    did = int(ctx.args[0])
    if did not in ctx.state.deployments:
        return 404, {"message": "Not Found"}, {}
    body = ctx.body or {}
    if body.get("state") not in {
        "error",
        "failure",
        "inactive",
        "in_progress",
        "queued",
        "pending",
        "success",
    }:
        return _invalid(f"state is not included in the list: {body.get('state')!r}")
    if not _description_ok(body):
        return _invalid("description is too long (maximum is 140 characters)")
    ctx.state.next_id += 1
    status = {
        "id": ctx.state.next_id,
        **body,
        "url": f"{ctx.repo_url()}/deployments/{did}/statuses/{ctx.state.next_id}",
    }
    ctx.state.deployment_statuses[did].insert(0, status)  # newest first, like GitHub
    return 201, status, {}


def _list_deployment_statuses(ctx: Ctx) -> Answer:
    did = int(ctx.args[0])
    if did not in ctx.state.deployments:
        return 404, {"message": "Not Found"}, {}
    return 200, ctx.state.deployment_statuses[did], {}


def _post_commit_status(ctx: Ctx) -> Answer:
    body = ctx.body or {}
    if body.get("state") not in {"error", "failure", "pending", "success"}:
        return _invalid(f"state is not included in the list: {body.get('state')!r}")
    if not _description_ok(body):
        return _invalid("description is too long (maximum is 140 characters)")
    ctx.state.next_id += 1
    status = {"id": ctx.state.next_id, "context": "default", **body}
    ctx.state.commit_statuses.setdefault(ctx.args[0], []).insert(0, status)
    return 201, status, {}


def _list_commit_statuses(ctx: Ctx) -> Answer:
    return 200, ctx.state.commit_statuses.get(ctx.args[0], []), {}


def _no_commit(sha: str) -> Answer:
    return 422, {"message": f"No commit found for SHA: {sha}"}, {}


def _combined_status(ctx: Ctx) -> Answer:
    """The latest status of each context (GitHub's combined status), worst state overall."""
    sha = ctx.args[0]
    if not ctx.state.knows(sha):
        return _no_commit(sha)
    latest: dict[str, dict[str, Any]] = {}
    for status in ctx.state.commit_statuses.get(sha, []):  # newest first
        latest.setdefault(status["context"], status)
    states = {s["state"] for s in latest.values()}
    overall = next(
        (s for s in ("failure", "error", "pending") if s in states),
        "success" if states else "pending",
    )
    overall = "failure" if overall == "error" else overall
    body = {
        "state": overall,
        "sha": sha,
        "total_count": len(latest),
        "statuses": list(latest.values()),
    }
    return 200, body, {}


def _check_output_ok(output: Any) -> str | None:
    if output is None:
        return None
    if not isinstance(output, dict) or not output.get("title") or not output.get("summary"):
        return "output needs title and summary"
    if len(output["summary"]) > 65535 or len(output.get("text") or "") > 65535:
        return "output summary/text is too long (maximum is 65535 characters)"
    if len(output.get("annotations") or []) > 50:
        return "Only 50 annotations are allowed per request"
    return None


def _check_json(ctx: Ctx, run: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in run.items() if k != "annotations"},
        "url": f"{ctx.repo_url()}/check-runs/{run['id']}",
        "html_url": f"https://github.com/{ctx.repository}/runs/{run['id']}",
    }


def _create_check_run(ctx: Ctx) -> Answer:
    body = json.loads(json.dumps(ctx.body or {}))  # a copy: the recorded request stays whole
    problem = _check_output_ok(body.get("output"))
    if problem or not body.get("name") or not body.get("head_sha"):
        return _invalid(problem or "name and head_sha are required")
    ctx.state.next_id += 1
    annotations = list((body.get("output") or {}).pop("annotations", None) or [])
    run = {"id": ctx.state.next_id, **body, "annotations": annotations}
    ctx.state.check_runs[run["id"]] = run
    return 201, _check_json(ctx, run), {}


def _update_check_run(ctx: Ctx) -> Answer:
    run = ctx.state.check_runs.get(int(ctx.args[0]))
    if run is None:
        return 404, {"message": "Not Found"}, {}
    body = json.loads(json.dumps(ctx.body or {}))
    problem = _check_output_ok(body.get("output"))
    if problem:
        return _invalid(problem)
    if "output" in body:
        output = dict(body.pop("output"))
        run["annotations"].extend(output.pop("annotations", None) or [])
        run["output"] = output
    run.update(body)
    return 200, _check_json(ctx, run), {}


def _list_check_runs(ctx: Ctx) -> Answer:
    if not ctx.state.knows(ctx.args[0]):
        return _no_commit(ctx.args[0])
    name = ctx.query.get("check_name")
    runs = [
        _check_json(ctx, r)
        for r in ctx.state.check_runs.values()
        if r["head_sha"] == ctx.args[0] and (name is None or r["name"] == name)
    ]
    return 200, {"total_count": len(runs), "check_runs": runs}, {}


def _list_annotations(ctx: Ctx) -> Answer:
    run = ctx.state.check_runs.get(int(ctx.args[0]))
    if run is None:
        return 404, {"message": "Not Found"}, {}
    return ctx.page(
        list(run["annotations"]), f"/repos/{ctx.repository}/check-runs/{run['id']}/annotations"
    )


def _get_deployment(ctx: Ctx) -> Answer:
    d = ctx.state.deployments.get(int(ctx.args[0]))
    return (
        (200, {**d, "url": f"{ctx.repo_url()}/deployments/{d['id']}"}, {})
        if d
        else (404, {"message": "Not Found"}, {})
    )


def _list_deployments(ctx: Ctx) -> Answer:
    """Newest first, like GitHub; `?environment=` and `?sha=` filter."""
    env, sha = ctx.query.get("environment"), ctx.query.get("sha")
    found = [
        {**d, "url": f"{ctx.repo_url()}/deployments/{d['id']}"}
        for d in sorted(ctx.state.deployments.values(), key=lambda d: -int(d["id"]))
        if (env is None or d["environment"] == env) and (sha is None or d["sha"] == sha)
    ]
    return ctx.page(found, f"/repos/{ctx.repository}/deployments")


ROUTES: list[tuple[str, str, str | None, Any]] = [
    ("GET", r"/issues/(\d+)/comments", None, _list_comments),
    ("POST", r"/issues/(\d+)/comments", "pull-requests", _post_comment),
    ("GET", r"/issues/comments/(\d+)", None, _comment_by_id),
    ("PATCH", r"/issues/comments/(\d+)", "pull-requests", _edit_comment),
    ("DELETE", r"/issues/comments/(\d+)", "pull-requests", _delete_comment),
    ("GET", r"/commits/([0-9A-Za-z]+)/pulls", None, _commit_pulls),
    ("GET", r"/pulls", None, _list_pulls),
    ("GET", r"/pulls/(\d+)", None, _get_pull),
    ("GET", r"/deployments", None, _list_deployments),
    ("GET", r"/commits/([0-9A-Za-z]+)/status", None, _combined_status),
    ("GET", r"/deployments/(\d+)", None, _get_deployment),
    ("GET", r"/deployments/(\d+)/statuses", None, _list_deployment_statuses),
    ("POST", r"/deployments/(\d+)/statuses", "deployments", _post_deployment_status),
    ("POST", r"/statuses/([0-9A-Za-z]+)", "statuses", _post_commit_status),
    ("GET", r"/commits/([0-9A-Za-z]+)/statuses", None, _list_commit_statuses),
    ("POST", r"/check-runs", "checks", _create_check_run),
    ("PATCH", r"/check-runs/(\d+)", "checks", _update_check_run),
    ("GET", r"/commits/([0-9A-Za-z]+)/check-runs", None, _list_check_runs),
    ("GET", r"/check-runs/(\d+)/annotations", None, _list_annotations),
]
