"""The sticky PR comment: one per (gate, environment) per pull request, updated in place.

A hidden first line `<!-- deploy-gate:<environment> -->` marks it. Reruns, a retry after a POST
that failed (maybe after GitHub created the comment) and two runs racing all converge to one
comment, because every attempt:

1. lists the PR's comments and updates the oldest marked one if there is one;
2. otherwise posts, then lists again, and if more than one marked comment exists (a concurrent
   run posted too), keeps the oldest, updates it, and deletes the others.

The last run to post always sees every earlier post when it lists again, so at most one survives.
"""

from __future__ import annotations

from gate.github.api import Comment, GitHubApi
from gate.github.client import Retrier
from gate.github.text import safe_environment
from gate.model import GateResult
from gate.reports import render_markdown

COMMENT_LIMIT = 65_536
_ROOM = 512  # marker, footer and a margin for multi-byte accounting


def marker(environment: str) -> str:
    return f"<!-- deploy-gate:{safe_environment(environment)} -->"


def comment_body(
    result: GateResult,
    *,
    environment: str,
    run_url: str | None,
    limit: int = COMMENT_LIMIT,
    secrets: frozenset[str] = frozenset(),
) -> str:
    """The full body: marker, the rendered report, and a footer naming the environment."""
    footer = f"\n<sub>environment `{safe_environment(environment)}`</sub>\n"
    head = marker(environment) + "\n"
    budget = limit - len(head) - len(footer) - _ROOM
    text = render_markdown(result, limit=budget, run_url=run_url, secrets=secrets).rstrip("\n")
    if len(text) > budget:  # a renderer that overshoots must not cost the comment
        text = text[: budget - 20] + "\n\n(truncated)"
    return head + text + "\n" + footer


def upsert_comment(
    api: GitHubApi, retrier: Retrier, pr: int, environment: str, body: str
) -> Comment:
    """Create or update the sticky comment on `pr`; returns the surviving comment."""
    mark = marker(environment)

    def marked(comments: list[Comment]) -> list[Comment]:
        return sorted((c for c in comments if c.body.startswith(mark)), key=lambda c: c.id)

    def attempt(_: int) -> Comment:
        existing = marked(api.list_comments(pr))
        if existing:
            keep = existing[0]
            if keep.body != body:
                keep = api.edit_comment(keep.id, body)
            for extra in existing[1:]:
                api.delete_comment(extra.id)
            return keep
        posted = api.create_comment(pr, body)
        after = marked(api.list_comments(pr))
        keep = min([*after, posted], key=lambda c: c.id)
        if keep.id == posted.id:
            extras = [c for c in after if c.id != posted.id]
        else:
            # A concurrent run posted first (or already deleted ours): its comment survives,
            # with this run's body, and ours goes (a 404 there means it is already gone).
            keep = api.edit_comment(keep.id, body) if keep.body != body else keep
            extras = [posted, *(c for c in after if c.id not in (keep.id, posted.id))]
        for extra in extras:
            api.delete_comment(extra.id)
        return keep

    return retrier.run(f"comment on PR #{pr}", attempt)
