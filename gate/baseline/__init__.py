"""Judging a run against an earlier one (`--baseline DIR`, `[baseline]`, docs/baseline.md)."""

from gate.baseline.compare import compare
from gate.baseline.source import Baseline, load_baseline, write_provenance
from gate.errors import BaselineError

__all__ = ["Baseline", "BaselineError", "compare", "load_baseline", "write_provenance"]
