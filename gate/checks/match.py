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
ANY_ITEM = "$any"  # `{ "$any" = {...} }` in expect_json: a list with an item matching {...}


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
    """Why `actual` does not contain `expected`, or None when it does.

    Objects: the expected keys are a subset. Lists: the same length, matched item by item (so
    a list that grew is noticed); `{ "$any" = X }` instead asks for at least one item matching
    X. Scalars: equal and of the same JSON type (1 and 1.0 are both numbers; "2" is not 2).
    """
    if isinstance(expected, dict) and set(expected) == {ANY_ITEM}:
        return _any_item_mismatch(expected[ANY_ITEM], actual, where)
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
    if _number(expected) and _number(actual) and expected == actual:
        return None
    if expected == actual and type(expected) is type(actual):
        return None
    return f"{where} is {_short(actual)}, expected {_short(expected)}{_type_hint(expected, actual)}"


def _any_item_mismatch(expected: Any, actual: Any, where: str) -> str | None:
    if not isinstance(actual, list):
        return f"{where} is {_short(actual)}, expected a list with an item matching"
    for item in actual:
        if subset_mismatch(expected, item) is None:
            return None
    first = f"; first: {_short(actual[0])}" if actual else ""
    return f"{where} has no item matching {_short(expected)} ({len(actual)} item(s){first})"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _type_hint(expected: Any, actual: Any) -> str:
    """When the values differ only by JSON type, say so and how to ask for the other one."""
    if isinstance(expected, dict | list) or isinstance(actual, dict | list):
        return ""
    if _plain(expected) != _plain(actual):
        return ""
    found, wanted = _kind(actual), _kind(expected)
    if found == wanted:
        return ""
    if found == "a string":
        how = 'write the string: "{name:str}" for a capture, or quote the literal'
    else:
        how = 'write the value unquoted, or "{name}" alone for a capture (it keeps its type)'
    return f" (same value, different type: found {found}, expected {wanted}; {how})"


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if _number(value):
        return "a number"
    return "null" if value is None else type(value).__name__


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
