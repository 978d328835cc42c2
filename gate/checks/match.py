"""The small JSON vocabulary of the checks: a JSON-path subset, subset matching, JSON decoding.

Paths are `$`, `$.a.b`, `$.items[0].id` and `$["odd key"]`: what captures and content rules
need, and small enough that no dependency is worth it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")
_EXCERPT = 200


class Missing(LookupError):
    """The path does not exist in the document (the message says where it stopped)."""


def extract(document: Any, path: str) -> Any:
    """The value at `path`, or `Missing` naming the first part that was absent."""
    if not path.startswith("$"):
        raise ValueError(f"JSON path {path!r} must start with '$' (e.g. '$.id')")
    value, position, walked = document, 1, "$"
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            raise ValueError(f"JSON path {path!r}: cannot read {path[position:]!r}")
        name, index, quoted = match.groups()
        key: str | int = int(index) if index is not None else (name or quoted or "")
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            raise Missing(f"{path}: nothing at {walked}{match.group(0)}") from None
        walked += match.group(0)
        position = match.end()
    return value


def subset_mismatch(expected: Any, actual: Any, where: str = "$") -> str | None:
    """Why `actual` does not contain `expected` (dicts: keys are a subset; lists: same length,
    matched item by item), or None when it does."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where} is {_short(actual)}, expected an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}.{key} is missing, expected {_short(value)}"
            problem = subset_mismatch(value, actual[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where} is {_short(actual)}, expected {_short(expected)}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            problem = subset_mismatch(want, got, f"{where}[{index}]")
            if problem:
                return problem
        return None
    numbers = isinstance(expected, int | float) and isinstance(actual, int | float)
    if expected == actual and (numbers or type(expected) is type(actual)):
        return None
    return f"{where} is {_short(actual)}, expected {_short(expected)}"


def response_json(response: httpx.Response, what: str) -> Any:
    """The decoded body, or an AssertionError with the content type and a body excerpt."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "no content-type")
        raise AssertionError(
            f"{what}: expected a JSON body, got {kind} ({len(response.content)} bytes): "
            f"{excerpt(response.text)!r}"
        ) from None


def excerpt(text: str, limit: int = _EXCERPT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any) -> str:
    return excerpt(json.dumps(value, default=str), 80)
