"""Key paths as a person reads them: where `smoke.http[2]` is, said in words.

TOML has no visible indices: `smoke.http[2]` is the third `[[smoke.http]]` table, and nothing in
the file says "2". Every message that names a list position adds the count a person would make.
"""

from __future__ import annotations

import re

_INDEX = re.compile(r"([A-Za-z0-9_]+)\[(\d+)\]")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def positions(key: str) -> str:
    """` (0-based: http[2] is the 3rd entry)` for a key with list positions, else ``."""
    found = _INDEX.findall(key)
    if not found:
        return ""
    first, *rest = found
    words = [f"{first[0]}[{first[1]}] is the {ordinal(int(first[1]) + 1)} entry"]
    words += [f"{name}[{i}] the {ordinal(int(i) + 1)}" for name, i in rest]
    return f" (0-based: {', '.join(words)})"
