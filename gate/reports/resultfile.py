"""`result.json` text, written as a stream: the same text as `json.dumps(indent=2)`, faster.

A suite can list 100,000 problems (result.json keeps every non-passed test's id and outcome).
`json.dumps(..., indent=2)` uses the pure-Python encoder, builds one dict per problem and then a
list of about ten strings per problem before joining them: seconds and tens of MiB at that size.
Here the small rest of the document is encoded by `json` itself, with a placeholder where each
suite's problems go, and the problems (flat objects of strings and numbers) are formatted one at
a time, straight from the `Problem` objects, into exactly the text `json` would write.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any

from gate.model import GateResult, Problem

_ITEM = " " * 8  # a problem inside "suites": [ { "problems": [ ... ] } ]
_KEY = " " * 10
_CLOSE = " " * 6
_FIELDS = tuple(Problem.__dataclass_fields__)  # the order `Problem.to_json` keeps


def result_json_chunks(result: GateResult) -> Iterator[str]:
    """The text of `result.json` (indent 2, UTF-8, key order of `to_json`) in pieces."""
    token = uuid.uuid4().hex
    data = result.to_json(problems=False)  # the problems are written below, one by one
    for index, suite in enumerate(data["suites"]):
        suite["problems"] = f"{token}:{index}"
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    for index, suite_result in enumerate(result.suites):
        before, _, text = text.partition(f'"{token}:{index}"')
        yield before
        yield from _problems(suite_result.problems)
    yield text


def _problems(problems: list[Problem]) -> Iterator[str]:
    if not problems:
        yield "[]"
        return
    yield "[\n"
    last = len(problems) - 1
    for index, problem in enumerate(problems):
        yield _object(problem)
        yield ",\n" if index < last else "\n"
    yield f"{_CLOSE}]"


# The fields as they are today, written without a loop (`_known_object`); if `Problem` ever
# changes, every problem takes the general path until `_known_object` is brought up to date.
_KNOWN_FIELDS = _FIELDS == (
    "id",
    "outcome",
    "message",
    "duration_s",
    "file",
    "line",
    "tier",
    "detail",
)


def _object(problem: Problem) -> str:
    """`problem.to_json()` as json writes it there, without building the dict first."""
    if _KNOWN_FIELDS:
        text = _known_object(problem)
        if text is not None:
            return text
    try:
        fields = [
            # field names are plain ASCII identifiers; most values are strings
            f'{_KEY}"{name}": {encode_basestring(value) if type(value) is str else _scalar(value)}'
            for name in _FIELDS
            if (value := getattr(problem, name)) is not None and value != ""
        ]
    except TypeError:  # not flat: let json write it, indented to where it sits
        nested = json.dumps(problem.to_json(), indent=2, ensure_ascii=False)
        return _ITEM + nested.replace("\n", f"\n{_ITEM}")
    if not fields:
        return f"{_ITEM}{{}}"
    return f"{_ITEM}{{\n" + ",\n".join(fields) + f"\n{_ITEM}}}"


def _known_object(p: Problem) -> str | None:
    """The common problem (str id, outcome and texts, a finite float duration) in one pass;
    None for anything else, which the general path writes."""
    id_, outcome, message, duration, detail = p.id, p.outcome, p.message, p.duration_s, p.detail
    if not (
        type(id_) is str
        and type(outcome) is str
        and type(message) is str
        and type(detail) is str
        and type(duration) is float
        and math.isfinite(duration)
        and (p.file is None or type(p.file) is str)
        and (p.line is None or type(p.line) is int)
        and (p.tier is None or type(p.tier) is str)
    ):
        return None
    parts = [f'{_KEY}"id": {encode_basestring(id_)}'] if id_ else []
    if outcome:
        parts.append(f'{_KEY}"outcome": {encode_basestring(outcome)}')
    if message:
        parts.append(f'{_KEY}"message": {encode_basestring(message)}')
    parts.append(f'{_KEY}"duration_s": {float.__repr__(duration)}')
    if p.file:
        parts.append(f'{_KEY}"file": {encode_basestring(p.file)}')
    if p.line is not None:
        parts.append(f'{_KEY}"line": {int.__repr__(p.line)}')
    if p.tier:
        parts.append(f'{_KEY}"tier": {encode_basestring(p.tier)}')
    if detail:
        parts.append(f'{_KEY}"detail": {encode_basestring(detail)}')
    return f"{_ITEM}{{\n" + ",\n".join(parts) + f"\n{_ITEM}}}"


def _scalar(value: Any) -> str:
    """A scalar as `json` writes it; TypeError for anything else."""
    if isinstance(value, str):
        return str(encode_basestring(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float.__repr__(value)
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    raise TypeError(type(value).__name__)
