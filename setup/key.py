"""The cache key of the gate's environment, shared by action.yml and require/action.yml.

One virtualenv per (action content, Python, requirements and the files they name): this
checkout's pyproject.toml, gate/ and setup/ files, `sys.version`, and the entries of the
`requirements` input (GATE_INPUT_REQUIREMENTS) with the content of those that are files in
GATE_INPUT_WORKING_DIRECTORY. The require action passes no requirements, so it gets the key of
the main action's environment without them and reuses that environment.

Usage: python3 setup/key.py ACTION_ROOT  (prints 16 hex digits)
"""

import hashlib
import os
import pathlib
import re
import sys


def key(root: pathlib.Path, requirements: str, workdir: pathlib.Path) -> str:
    digest = hashlib.sha256(sys.version.encode())
    files = [root / "pyproject.toml", *root.glob("gate/**/*"), *root.glob("setup/*")]
    for path in sorted(files):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for entry in re.split(r"[,\n]", requirements):
        entry = entry.strip()
        digest.update(entry.encode() + b"\0")
        if entry and (workdir / entry).is_file():
            digest.update((workdir / entry).read_bytes())
    return digest.hexdigest()[:16]


if __name__ == "__main__":
    print(
        key(
            pathlib.Path(sys.argv[1]),
            os.environ.get("GATE_INPUT_REQUIREMENTS", ""),
            pathlib.Path(os.environ.get("GATE_INPUT_WORKING_DIRECTORY") or "."),
        )
    )
