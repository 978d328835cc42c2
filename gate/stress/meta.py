"""`RunMeta`: the settings a load run was planned with and what happened to it as a whole.

It travels with every `Snapshot` (worker -> parent, shard -> `gate merge`, the baseline of a later
run), so the verdict on merged data is computed from the same settings as a single run's. The
planning fields come from `[stress]` (`RunMeta.plan`); reading a file that lacks one takes the
default of the configuration model itself, never a second copy of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from gate.config.stress import StressConfig

Threshold = tuple[str, str, bool, float]  # key, expression, abortOnFail, delayAbortEval (s)


def _default(name: str) -> Any:
    return StressConfig.model_fields[name].default


@dataclass(slots=True)
class RunMeta:
    """Planned settings (same in every worker) and run facts (combined when merging)."""

    # planned
    target: str = ""
    target_rate: float = 0.0  # requests per second, averaged over the planned duration
    planned_duration_s: float = 0.0
    thresholds: list[Threshold] = field(default_factory=list)
    late_after_ms: float = _default("late_after_ms")
    max_late_fraction: float = _default("max_late_fraction")
    max_dropped_fraction: float = _default("max_dropped_fraction")
    max_in_flight: int = _default("max_in_flight")
    mode: str = "open"  # "closed" only in benchmarks
    # measured
    elapsed_s: float = 0.0
    cpu: float = 0.0  # worst worker's CPU share of one core
    aborted: str | None = None
    saturation_reason: str | None = None
    workers: int = 1
    shards: int = 1

    @classmethod
    def plan(
        cls,
        config: StressConfig,
        target: str,
        thresholds: list[Threshold],
        *,
        closed: bool = False,
    ) -> RunMeta:
        duration = config.total_duration_s
        return cls(
            target=target,
            target_rate=round(config.planned_requests / duration, 3) if duration else 0.0,
            planned_duration_s=duration,
            thresholds=thresholds,
            late_after_ms=config.late_after_ms,
            max_late_fraction=config.max_late_fraction,
            max_dropped_fraction=config.max_dropped_fraction,
            max_in_flight=config.max_in_flight,
            mode="closed" if closed else "open",
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["thresholds"] = [list(t) for t in self.thresholds]
        return data

    @classmethod
    def from_json(cls, data: Any) -> RunMeta:
        """Rebuild from a stress file; unknown keys are ignored, missing ones take defaults."""
        if not isinstance(data, dict):
            raise ValueError(f"meta: expected an object, found {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        meta = cls(**values)
        meta.thresholds = [
            (str(key), str(expr), bool(abort), float(delay))
            for key, expr, abort, delay in meta.thresholds
        ]
        for name in ("target_rate", "planned_duration_s", "elapsed_s", "cpu", "late_after_ms"):
            setattr(meta, name, float(getattr(meta, name) or 0.0))
        meta.workers = int(meta.workers or 1)
        meta.shards = int(meta.shards or 1)
        return meta

    def with_run(self, run: RunMeta) -> RunMeta:
        """These planned settings with the measured facts of `run`."""
        return replace(
            self,
            elapsed_s=run.elapsed_s,
            cpu=run.cpu,
            aborted=run.aborted,
            saturation_reason=run.saturation_reason,
            workers=run.workers,
            shards=run.shards,
        )


def combine(metas: list[RunMeta]) -> RunMeta:
    """Meta of runs merged together (worker processes or shards): the worst of each fact."""
    if not metas:
        return RunMeta()
    return replace(
        metas[0],
        elapsed_s=max(m.elapsed_s for m in metas),
        cpu=max(m.cpu for m in metas),
        aborted=next((m.aborted for m in metas if m.aborted), None),
        saturation_reason=next((m.saturation_reason for m in metas if m.saturation_reason), None),
        workers=sum(m.workers for m in metas),
    )
