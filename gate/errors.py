"""The exceptions a caller may catch, in one hierarchy (docs/design.md: Exit codes):

    GateError            raised on purpose, with a message for a person: exit 1 (block)
    +-- UsageError       bad command line or input: exit 2
    |   +-- ConfigError  invalid configuration (file, key, expected, found)
    +-- PublishError     one publishing step failed for good; `publish()` turns it into a
                         warning, so it never changes the verdict

Anything else that escapes a command is an internal failure, which is a block (exit 1), never a
pass.
With `GATE_DEBUG=1` the traceback of such a failure is printed too (`print_debug_traceback`).
"""

import os
import sys
import traceback

DEBUG_VAR = "GATE_DEBUG"


class GateError(Exception):
    """Base for errors the gate raises on purpose, with a message meant for a person."""


class UsageError(GateError):
    """Bad command line or input the user must fix before the gate can run: exit code 2."""


class ConfigError(UsageError):
    """The configuration is invalid. The message names the file, the key, expected and found."""


class PublishError(GateError):
    """One publishing step failed for good; the message says which call and why, for a warning."""


def print_debug_traceback() -> None:
    """With GATE_DEBUG=1, print the exception being handled (unredacted: for local debugging)."""
    if os.environ.get(DEBUG_VAR, "") not in ("", "0"):
        traceback.print_exc(file=sys.stderr)
