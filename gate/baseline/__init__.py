"""Judging a run against an earlier one (`--baseline DIR`, `[baseline]`, docs/baseline.md)."""

from gate.baseline.compare import compare
from gate.baseline.source import Baseline, BaselineError, load_baseline, write_provenance

__all__ = ["Baseline", "BaselineError", "compare", "load_baseline", "write_provenance"]
