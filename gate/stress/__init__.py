"""The stress engine: open-model HTTP and WebSocket load with honest latency and k6 thresholds.

`run_stress(config, target=..., out_dir=..., secrets=..., progress=...) -> StressRun` is the whole
public surface the runner needs. The engine (event loops, worker processes) is imported lazily so
that validating a configuration (which parses thresholds) does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gate.stress.run import StressRun, run_stress

__all__ = ["StressRun", "run_stress"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gate.stress import run

        return getattr(run, name)
    raise AttributeError(f"module 'gate.stress' has no attribute {name!r}")
