"""Merging the stress data of shards (GitHub Actions matrix jobs, several machines).

Each shard's `gate run` wrote `OUT/stress/histograms.json`: lossless HdrHistograms and counters.
Adding them gives exactly the histograms of all samples together, so thresholds judged on the
merge are judged on the whole load, as if one generator had sent it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gate.config.stress import StressConfig
from gate.stress.meta import combine
from gate.stress.metrics import Snapshot
from gate.stress.outcome import SHARD_FILE, StressRun, finish, read_baseline


def shard_files(dirs: list[Path]) -> list[Path]:
    """The stress data files of the shard output directories that have one."""
    return [d / "stress" / SHARD_FILE for d in dirs if (d / "stress" / SHARD_FILE).is_file()]


def merge_stress(
    files: list[Path],
    *,
    out_dir: Path,
    secrets: frozenset[str],
    config: StressConfig | None,
    missing: Sequence[str] = (),
    baseline: Path | None = None,
) -> StressRun:
    """Merge shard files and judge the thresholds (the configured ones when `config` is
    given, else those the shards ran with); a bad file is a crashed suite naming it."""
    snapshots: list[Snapshot] = []
    problems: list[str] = [f"{m}: the shard ran stress but left no stress data" for m in missing]
    for file in files:
        try:
            snapshots.append(Snapshot.read(file))
        except ValueError as exc:
            problems.append(f"{file}: {exc}")
    merged = Snapshot()
    for snap in snapshots:
        merged.merge(snap)
    merged.meta = combine([s.meta for s in snapshots])
    merged.meta.shards = len(snapshots)
    merged.meta.target_rate = sum(s.meta.target_rate for s in snapshots)
    merged.meta.saturation_reason = _saturation(snapshots)
    if config is not None:
        merged.meta.thresholds = config.parsed_thresholds() or merged.meta.thresholds
    else:
        differing = {repr(s.meta.thresholds) for s in snapshots}
        if len(differing) > 1:
            problems.append(
                "the shards ran with different thresholds; pass --config so the merge judges "
                "them all against one set"
            )
    if not snapshots and not problems:
        problems.append("no shard has stress data (stress/histograms.json)")
    crash = "; ".join(problems) if problems else None
    return finish(
        merged, out_dir=out_dir, secrets=secrets, crash=crash, baseline=read_baseline(baseline)
    )


def _saturation(snapshots: list[Snapshot]) -> str | None:
    reasons = [
        f"shard {i + 1}: {s.meta.saturation_reason}"
        for i, s in enumerate(snapshots)
        if s.meta.saturation_reason
    ]
    return "; ".join(reasons) if reasons else None
