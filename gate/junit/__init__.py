"""Reading JUnit XML from any producer, streaming, into what the policy needs.

`read_junit(inputs, redact=...)` (in `gate.junit.read`) takes files, folders and globs and
returns a `JUnitData`; bad input never raises, it becomes a sentence in `JUnitData.errors`.
"""

from gate.inputs import expand, suite_name_for
from gate.junit.fold import AttributeCounts, FoldedCase, JUnitData, case_id
from gate.junit.read import read_junit

__all__ = [
    "AttributeCounts",
    "FoldedCase",
    "JUnitData",
    "case_id",
    "expand",
    "read_junit",
    "suite_name_for",
]
