"""Suite names, validated here once for every way to name them.

The config's `suites` key, `gate run --suites` and the action's `suites` input all go through
`suite_problem`, so a misspelt suite gets the same answer (the valid names and a did-you-mean)
wherever it was written; the runner then takes `SuiteName`s and checks nothing again.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Literal, TypeGuard, get_args

from gate.errors import UsageError

SuiteName = Literal["smoke", "e2e", "stress"]
SUITES: tuple[SuiteName, ...] = get_args(SuiteName)  # and the order they run in


def is_suite(name: str) -> TypeGuard[SuiteName]:
    return name in SUITES


def suite_problem(names: Sequence[str]) -> str | None:
    """Why `names` are not all suites (the valid ones, with a did-you-mean); None if they are."""
    unknown = [name for name in names if not is_suite(name)]
    if not unknown:
        return None
    text = f"unknown suite(s) {', '.join(map(repr, unknown))}; valid: {', '.join(SUITES)}"
    hints = [(name, difflib.get_close_matches(name, SUITES, n=1)) for name in unknown]
    hints_text = [
        f"{close[0]!r} for {name!r}" if len(unknown) > 1 else repr(close[0])
        for name, close in hints
        if close
    ]
    return f"{text}; did you mean {' and '.join(hints_text)}?" if hints_text else text


def parse_suites(names: Iterable[str], *, where: str) -> list[SuiteName]:
    """`names` as suites, in the order given; a `UsageError` (exit 2) naming `where` if not."""
    listed = [name.strip() for name in names if name.strip()]
    problem = suite_problem(listed)
    if problem:
        raise UsageError(f"{where}: {problem}")
    return [name for name in listed if is_suite(name)]


def split_suites(text: str, *, where: str) -> list[SuiteName]:
    """A comma list (`--suites smoke,e2e`) parsed with `parse_suites`."""
    return parse_suites(text.split(","), where=where)
