"""The demo's job-execution model: jobs move queued -> running -> completed|failed with time.

Nothing is executed. A job's state is computed from the clock when it is read, so the service
needs no background workers and a job can never be half-updated: `queue_s` after creation it
is running, `duration_s` later it has finished. Its stdout is predictable so flows can check it:
the args joined by spaces (or "<script>: ok" without args), then one `KEY=value` line per env var.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

MAX_JOBS = 50_000  # oldest jobs are forgotten beyond this, so a stress run cannot exhaust memory
MAX_DURATION_S = 300.0
MAX_BATCH = 100


_JOB_FIELDS = {"script", "args", "env", "duration_s", "fail", "metadata", "batch_id"}


class InvalidRequest(ValueError):
    """A request body the API refuses (400), with a message naming the field."""


@dataclass(slots=True)
class JobSpec:
    script: str
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    duration_s: float = 1.0
    fail: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    batch_id: str | None = None


@dataclass(slots=True)
class Job:
    id: str
    user: str
    spec: JobSpec
    created: float  # monotonic clock
    created_at: str  # wall clock, ISO 8601
    retry_of: str | None = None

    def status(self, now: float, queue_s: float, stuck: bool) -> str:
        if now < self.created + queue_s:
            return "queued"
        if stuck or now < self.created + queue_s + self.spec.duration_s:
            return "running"
        return "failed" if self.spec.fail else "completed"

    def stdout(self) -> str:
        spec = self.spec
        first = " ".join(spec.args) if spec.args else f"{spec.script}: ok"
        return "\n".join([first, *(f"{k}={v}" for k, v in spec.env.items())]) + "\n"

    def stderr(self) -> str:
        return f"{self.spec.script}: simulated failure (fail=true)\n" if self.spec.fail else ""


class JobStore:
    """Every job of every user, looked up only together with its owner."""

    def __init__(self, *, queue_s: float, stuck: bool) -> None:
        self.queue_s = queue_s
        self.stuck = stuck
        self._jobs: dict[str, Job] = {}
        self._batches: dict[str, tuple[str, list[str]]] = {}
        self._ids = itertools.count(1)

    def create(self, user: str, spec: JobSpec, retry_of: str | None = None) -> Job:
        job = Job(
            id=f"job-{next(self._ids):06d}",
            user=user,
            spec=spec,
            created=time.monotonic(),
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            retry_of=retry_of,
        )
        self._jobs[job.id] = job
        if len(self._jobs) > MAX_JOBS:
            for old in list(itertools.islice(self._jobs, MAX_JOBS // 10)):
                del self._jobs[old]
        return job

    def get(self, user: str, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.user == user else None

    def for_user(self, user: str) -> list[Job]:
        return [job for job in self._jobs.values() if job.user == user]

    def status(self, job: Job) -> str:
        return job.status(time.monotonic(), self.queue_s, self.stuck)

    def create_batch(self, user: str, body: Any) -> tuple[str, list[Job]]:
        count, spec, fail_count = parse_batch(body)
        batch_id = f"batch-{next(self._ids):06d}"
        spec.batch_id = batch_id
        jobs = []
        for index in range(count):
            metadata = {**spec.metadata, "index": index}
            job_spec = replace(spec, fail=index < fail_count, metadata=metadata)
            jobs.append(self.create(user, job_spec))
        self._batches[batch_id] = (user, [job.id for job in jobs])
        return batch_id, jobs

    def batch(self, user: str, batch_id: str) -> list[Job] | None:
        owner, ids = self._batches.get(batch_id, (None, []))
        if owner != user:
            return None
        return [self._jobs[i] for i in ids if i in self._jobs]

    def to_json(self, job: Job) -> dict[str, Any]:
        status = self.status(job)
        finished = status in ("completed", "failed")
        return {
            "id": job.id,
            "status": status,
            "script": job.spec.script,
            "args": job.spec.args,
            "env_keys": sorted(job.spec.env),
            "duration_s": job.spec.duration_s,
            "exit_code": (1 if job.spec.fail else 0) if finished else None,
            "stdout": job.stdout() if finished else "",
            "stderr": job.stderr() if finished else "",
            "metadata": job.spec.metadata,
            "batch_id": job.spec.batch_id,
            "retry_of": job.retry_of,
            "created_at": job.created_at,
        }

    def artifacts(self, job: Job) -> dict[str, str]:
        """Name -> content of a finished job's artifacts (none before it finishes)."""
        if self.status(job) not in ("completed", "failed"):
            return {}
        found = {"stdout.txt": job.stdout(), "metadata.json": json.dumps(job.spec.metadata)}
        if job.spec.fail:
            found["stderr.txt"] = job.stderr()
        return found


def parse_job(body: Any) -> JobSpec:
    """Validate a `POST /api/jobs` body; `InvalidRequest` names the first wrong field."""
    if not isinstance(body, dict):
        raise InvalidRequest("expected a JSON object body")
    unknown = sorted(
        set(body) - {"script", "args", "env", "duration_s", "fail", "metadata", "batch_id"}
    )
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}")
    script = body.get("script")
    if not isinstance(script, str) or not script.strip():
        raise InvalidRequest("field 'script': expected a non-empty string")
    args = body.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise InvalidRequest("field 'args': expected a list of strings")
    env = body.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise InvalidRequest("field 'env': expected an object of strings")
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict):
        raise InvalidRequest("field 'metadata': expected an object")
    fail = body.get("fail", False)
    if not isinstance(fail, bool):
        raise InvalidRequest("field 'fail': expected true or false")
    batch_id = body.get("batch_id")
    if batch_id is not None and not isinstance(batch_id, str):
        raise InvalidRequest("field 'batch_id': expected a string")
    return JobSpec(script, args, env, _duration(body), fail, metadata, batch_id)


def parse_batch(body: Any) -> tuple[int, JobSpec, int]:
    """Validate a `POST /api/batches` body: (count, the jobs' spec, how many of them fail)."""
    if not isinstance(body, dict):
        raise InvalidRequest("expected a JSON object body")
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise InvalidRequest(f"field 'count': expected an integer from 1 to {MAX_BATCH}")
    fail_count = body.get("fail_count", 0)
    if isinstance(fail_count, bool) or not isinstance(fail_count, int) or fail_count < 0:
        raise InvalidRequest("field 'fail_count': expected a non-negative integer")
    script = body.get("script", "batch")
    if not isinstance(script, str) or not script.strip():
        raise InvalidRequest("field 'script': expected a non-empty string")
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict):
        raise InvalidRequest("field 'metadata': expected an object")
    return count, JobSpec(script, duration_s=_duration(body), metadata=metadata), fail_count


def _duration(body: dict[str, Any]) -> float:
    value = body.get("duration_s", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest("field 'duration_s': expected a number of seconds")
    if not 0 <= value <= MAX_DURATION_S:
        raise InvalidRequest(f"field 'duration_s': expected 0 to {MAX_DURATION_S:g} seconds")
    return float(value)
