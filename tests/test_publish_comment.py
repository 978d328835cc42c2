"""The sticky PR comment against the fake GitHub, through PyGithub: one comment, always."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from fake_github import FakeGitHub
from github_fixtures import SHA, gate_result, pr_context, publish_to

from gate.github.comment import COMMENT_LIMIT, marker
from gate.model import Problem

COMMENTS = r"/issues/7/comments$"
ALLOWED_TAGS = {
    "h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "details",
    "summary", "code", "pre", "b", "strong", "em", "a", "sub", "br",
}  # fmt: skip


def _marked(fake: FakeGitHub, environment: str = "staging") -> list[dict[str, object]]:
    return [c for c in fake.comments(7) if str(c["body"]).startswith(marker(environment))]


def test_ten_reruns_leave_one_comment_updated_in_place(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.add_comment(7, "LGTM, a human comment that must stay")
    for run in range(10):
        report = publish_to(
            fake_github,
            gate_result(["test_a"]),
            pr_context(fake_github, run_id=run),
            surfaces=["comment"],
        )
        assert report.warnings == []
    marked = _marked(fake_github)
    assert len(marked) == 1
    assert "actions/runs/9" in str(marked[0]["body"])  # the last run's link: updated in place
    assert fake_github.count("POST", COMMENTS) == 1
    assert fake_github.count("PATCH", r"/issues/comments/\d+$") == 9
    assert len(fake_github.comments(7)) == 2  # the human's comment is untouched


@pytest.mark.parametrize("pr", range(10, 16))
def test_two_concurrent_runs_leave_one_comment(fake_github: FakeGitHub, pr: int) -> None:
    fake_github.add_pull(pr, SHA)
    comments = rf"/issues/{pr}/comments$"
    # Both runs list before either posts: the race the convergence rule must survive.
    fake_github.barrier("GET", comments, parties=2)
    reports = []

    def run(run_id: int) -> None:
        ctx = pr_context(fake_github, pr=pr, run_id=run_id)
        reports.append(publish_to(fake_github, gate_result(["x"]), ctx, surfaces=["comment"]))

    threads = [threading.Thread(target=run, args=(i,)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # The race really happened: both runs listed (no comment yet) before the first POST. On a
    # loaded machine one POST may fail at the connection and be followed, as designed, by a
    # fresh listing that finds the other run's comment: one or two POSTs, one comment.
    order = [r.method for r in fake_github.requests if re.search(comments, r.path)]
    assert order[:2] == ["GET", "GET"], order
    assert 1 <= fake_github.count("POST", comments) <= 2
    marked = [c for c in fake_github.comments(pr) if str(c["body"]).startswith(marker("staging"))]
    assert len(marked) == 1
    assert len(reports) == 2  # neither run died
    assert all(r.warnings == [] for r in reports)
    # both runs report the surviving comment
    urls = {url for r in reports for url in r.comment_urls}
    assert urls == {f"https://github.com/octo/demo/pull/{pr}#issuecomment-{marked[0]['id']}"}


def test_run_whose_comment_a_concurrent_run_deleted_reports_the_survivor(
    fake_github: FakeGitHub,
) -> None:
    """The interleaving threads rarely hit: run B lists (nothing), run A posts; B posts; A
    lists, keeps its older comment and deletes B's; only then does B list again."""
    fake_github.add_pull(7, SHA)
    other: dict[str, int] = {}

    def a_posts(fake: FakeGitHub, _answer: object) -> None:
        other["id"] = fake.add_comment(7, marker("staging") + "\nrun A", "github-actions[bot]")[
            "id"
        ]

    def a_deletes_b(fake: FakeGitHub, answer: object) -> None:
        assert isinstance(answer, dict)
        fake.delete_comment(answer["id"])

    fake_github.after_next("GET", COMMENTS, a_posts)
    fake_github.after_next("POST", COMMENTS, a_deletes_b)
    report = publish_to(
        fake_github, gate_result(["x"]), pr_context(fake_github), surfaces=["comment"]
    )
    [survivor] = _marked(fake_github)
    assert survivor["id"] == other["id"]
    assert "run A" not in str(survivor["body"])  # updated with this run's report
    assert report.comment_urls == [
        f"https://github.com/octo/demo/pull/7#issuecomment-{other['id']}"
    ]
    assert report.warnings == []


def test_post_that_failed_after_creating_is_not_repeated(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.fail_next("POST", COMMENTS, 500, applied=True)  # created, then 500
    report = publish_to(fake_github, gate_result(), pr_context(fake_github), surfaces=["comment"])
    assert report.warnings == []
    assert len(_marked(fake_github)) == 1
    assert fake_github.count("POST", COMMENTS) == 1  # the retry listed, found it, did not post
    assert fake_github.count("GET", COMMENTS) >= 2


def test_post_that_failed_before_creating_is_retried(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.fail_next("POST", COMMENTS, 502)
    report = publish_to(fake_github, gate_result(), pr_context(fake_github), surfaces=["comment"])
    assert report.warnings == []
    assert len(_marked(fake_github)) == 1
    assert fake_github.count("POST", COMMENTS) == 2


def test_duplicates_from_an_earlier_race_are_cleaned_up(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(7, SHA)
    first = fake_github.add_comment(7, marker("staging") + "\nold one", user="github-actions[bot]")
    fake_github.add_comment(7, marker("staging") + "\nold two", user="github-actions[bot]")
    publish_to(fake_github, gate_result(), pr_context(fake_github), surfaces=["comment"])
    marked = _marked(fake_github)
    assert [c["id"] for c in marked] == [first["id"]]  # the oldest survives, updated
    assert "old one" not in str(marked[0]["body"])


def test_one_comment_per_environment(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(7, SHA)
    for env in ("staging", "preview", "staging"):
        ctx = pr_context(fake_github, environment=env)
        publish_to(fake_github, gate_result(), ctx, surfaces=["comment"])
    assert len(_marked(fake_github, "staging")) == 1
    assert len(_marked(fake_github, "preview")) == 1


def test_hostile_test_names_do_not_reach_the_comment_raw(fake_github: FakeGitHub) -> None:
    """Checked on the HTML GitHub's own parser (cmark-gfm, raw HTML allowed) makes of the body."""
    fake_github.add_pull(7, SHA)
    token = "ghp_" + "A1b2C3d4E5" * 4
    hostile = [
        "test_<img src=x onerror=alert(1)>",
        "test_**bold**_[link](https://evil.example)",
        "test_ping @someone and @org/team",
        f"test_leaks {token}",
        "test_closes </details><script>x</script>",
    ]
    result = gate_result(hostile)
    result.suites[0].problems.append(Problem(id="msg", outcome="failed", message=f"token={token}"))
    publish_to(fake_github, result, pr_context(fake_github), surfaces=["comment"])
    body = str(_marked(fake_github)[0]["body"])
    assert token not in body
    html = cmarkgfm.markdown_to_html_with_extensions(
        body, options=Options.CMARK_OPT_UNSAFE, extensions=["table", "autolink", "strikethrough"]
    )
    tags = set(re.findall(r"<([a-z][a-z0-9]*)", html))
    assert tags <= ALLOWED_TAGS
    assert html.count("<details") == html.count("</details>")
    assert "<strong>bold</strong>" not in html
    assert "evil.example" not in " ".join(re.findall(r'href="([^"]*)"', html))
    # GitHub links no mentions inside code; elsewhere a zero-width joiner must break them
    prose = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", html, flags=re.S)
    assert not re.search(r"@someone|@org/team", prose)
    assert "someone" in html  # still readable


def test_comment_stays_under_the_limit_for_a_huge_result(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(7, SHA)
    result = gate_result([f"test_{i}_" + "x" * 200 for i in range(5000)])
    report = publish_to(fake_github, result, pr_context(fake_github), surfaces=["comment"])
    assert report.warnings == []
    body = str(_marked(fake_github)[0]["body"])
    assert len(body) < COMMENT_LIMIT
    assert body.splitlines()[0] == marker("staging")


def test_no_pull_request_is_a_note_not_a_warning(fake_github: FakeGitHub, tmp_path: Path) -> None:
    ctx = pr_context(fake_github, pr=None, find_pulls=True, event="push")
    report = publish_to(
        fake_github, gate_result(), ctx, surfaces=["comment", "summary"], out=tmp_path
    )
    assert report.warnings == []
    assert any("no open pull request" in n for n in report.notes)
    assert fake_github.count("GET", r"/commits/\w+/pulls$") == 1


def test_deployment_finds_the_open_pr_whose_head_is_the_deployed_sha(
    fake_github: FakeGitHub,
) -> None:
    fake_github.add_pull(7, SHA)
    fake_github.add_pull(8, SHA, state="closed")
    fake_github.add_pull(9, "f" * 40)
    fake_github.add_deployment(42, SHA)
    ctx = pr_context(
        fake_github, pr=None, find_pulls=True, deployment_id=42, event="deployment_status"
    )
    report = publish_to(fake_github, gate_result(), ctx, surfaces=["comment"])
    assert report.warnings == []
    assert len(_marked(fake_github)) == 1
    assert fake_github.comments(8) == []
    assert fake_github.comments(9) == []
