"""Temporary stand-in for `gate.reports.render_markdown` until the reports branch is merged.

Same signature and promises (escaped, bounded, verdict first); removed after `git merge reports`.
"""

from __future__ import annotations

import re

from gate.github.text import headline
from gate.model import GateResult

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def escape(text: str) -> str:
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


def render_markdown(result: GateResult, *, limit: int = 60_000, run_url: str | None = None) -> str:
    t = result.totals
    icon = "✅" if str(result.verdict) == "pass" else "⛔"
    lines = [
        f"## {icon} deploy-gate: {headline(result)} ({result.outcome})",
        "",
        f"**{t.tests}** tests: {t.passed} passed, {t.failed} failed, {t.errors} errors, "
        f"{t.skipped} skipped, {t.flaky} flaky, {t.quarantined} quarantined",
        "",
    ]
    lines += [f"- {escape(r)}" for r in result.reasons] + [""]
    lines += [
        "| suite | outcome | tests | failed | errors | skipped |",
        "|---|---|---|---|---|---|",
    ]
    for s in result.suites:
        st = s.totals
        lines.append(
            f"| {escape(s.name)} | {s.outcome} | {st.tests} | {st.failed} | {st.errors} | "
            f"{st.skipped} |"
        )
    failing = [(s.name, p) for s in result.suites for p in s.problems]
    if failing:
        lines += ["", "<details><summary>Problems</summary>", ""]
        lines += [
            f"- {escape(n)}: {escape(p.id)} ({p.outcome}): {escape(p.message)}" for n, p in failing
        ]
        lines += ["", "</details>"]
    thresholds = (result.stress or {}).get("thresholds") or []
    if thresholds:
        lines += ["", "| metric | threshold | value | ok |", "|---|---|---|---|"]
        lines += [
            f"| {escape(str(th.get('metric')))} | {escape(str(th.get('expression')))} | "
            f"{th.get('value')} | {th.get('ok')} |"
            for th in thresholds
            if isinstance(th, dict)
        ]
    if run_url:
        lines += ["", f"[Workflow run]({run_url})"]
    text = "\n".join(lines) + "\n"
    if len(text) > limit:
        note = "\n\n(truncated)\n"
        text = text[: max(0, limit - len(note))] + note
    return text
