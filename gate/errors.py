"""The exceptions a caller may catch, in one place and one hierarchy (docs/design.md: Exit codes):

    GateError                raised on purpose, with a message for a person: exit 1 (block)
    +-- UsageError           bad command line or input: exit 2
    |   +-- ConfigError      invalid configuration (file, key, expected, found)
    |   +-- BaselineError    the `--baseline` folder cannot be used
    +-- InputError           an action input (`with:`) is wrong; names the input
    +-- JUnitReadError       one file cannot be read as JUnit; the reader turns it into a
    |                        sentence in `JUnitData.errors` (that suite is an error: block)
    +-- DemoError            the demo service could not be started: block
    +-- PublishError         one publishing step failed for good; `publish()` turns it into a
        |                    warning, so it never changes the verdict
        +-- ArtifactRefused  an artifact's result is not fit to publish (a warning says why)

Each is defined here and nowhere else (tests/test_errors.py checks it); the modules that raise
them re-export them under their old import paths. Anything else that escapes a command is an
internal failure, which is a block (exit 1), never a pass.
With `GATE_DEBUG=1` the traceback of such a failure is printed too (`print_debug_traceback`).
"""

import os
import sys
import traceback

__all__ = [
    "DEBUG_VAR",
    "ArtifactRefused",
    "BaselineError",
    "ConfigError",
    "DemoError",
    "GateError",
    "InputError",
    "JUnitReadError",
    "PublishError",
    "UsageError",
    "print_debug_traceback",
]

DEBUG_VAR = "GATE_DEBUG"


class GateError(Exception):
    """Base for errors the gate raises on purpose, with a message meant for a person."""


class UsageError(GateError):
    """Bad command line or input the user must fix before the gate can run: exit code 2."""


class ConfigError(UsageError):
    """The configuration is invalid. The message names the file, the key, expected and found."""


class BaselineError(UsageError):
    """The baseline folder cannot be used (exit 2 on the command line)."""


class InputError(GateError):
    """An action input is wrong. `name` is the input as the user spells it in `with:`."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"input `{name}`: {message}")
        self.name = name


class JUnitReadError(GateError):
    """A file that cannot be read as JUnit; the message names the file and, if known, where."""


class DemoError(GateError):
    """The demo service could not be started (the gate then blocks with this message)."""


class PublishError(GateError):
    """One publishing step failed for good; the message says which call and why, for a warning."""


class ArtifactRefused(PublishError):
    """The artifact is not published; the message says why (for a workflow warning)."""


def print_debug_traceback() -> None:
    """With GATE_DEBUG=1, print the exception being handled (unredacted: for local debugging)."""
    if os.environ.get(DEBUG_VAR, "") not in ("", "0"):
        traceback.print_exc(file=sys.stderr)
