"""The per-worker recorder: what the hot path calls once per request, kept cheap.

Each endpoint owns its two histograms (from the intended time and from the actual send time);
the overall histograms are built by adding the endpoints' only when a snapshot is taken, so a
request costs two `record_value` calls, a few integer updates and one timeline update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hdrh.histogram import HdrHistogram

from gate.stress.meta import RunMeta
from gate.stress.metrics import HIGHEST_US, Snapshot, Window, new_histogram

if TYPE_CHECKING:
    from gate.stress.request import PreparedRequest


@dataclass(eq=False, slots=True)
class EndpointStats:
    """What one endpoint measured: its two histograms and its request counts."""

    name: str
    duration: HdrHistogram = field(default_factory=new_histogram)
    service: HdrHistogram = field(default_factory=new_histogram)
    failed: int = 0
    total: int = 0


class Recorder:
    """Counts and histograms of one worker; `snapshot()` gives the mergeable form."""

    def __init__(
        self, endpoints: list[str], t0: float, window_s: float, windows: int, abort_window: int
    ) -> None:
        self.endpoints = [EndpointStats(name) for name in endpoints]  # by PreparedRequest.index
        self.t0 = t0
        self.window_s = window_s
        self.timeline = [Window() for _ in range(max(windows, 1))]
        self.status_counts: dict[int, int] = {}
        self.errors: dict[str, int] = {}
        self.ws_closes: dict[int, int] = {}
        self.ws_connecting = new_histogram()
        self.ws_rtt = new_histogram()
        self.ws_attempts = 0  # connection attempts (each a session, good or bad)
        self.ws_sessions = 0  # sessions that connected
        self.ws_failed = 0  # sessions that could not connect or closed before the end
        self.requests = 0
        self.failed = 0
        self.scheduled = 0
        self.dropped = 0
        self.late = 0
        # A ring of the last `abort_window` outcomes (1 = failed) with its running sum.
        self._ring = bytearray(abort_window)
        self._ring_pos = 0
        self.recent_failed = 0

    def http(
        self,
        req: PreparedRequest,
        intended: float,
        sent: float,
        end: float,
        status: int,
        error: str | None,
    ) -> None:
        """Record one finished request (times from `time.perf_counter`)."""
        ep = self.endpoints[req.index]
        # The dispatcher may start a request up to half a millisecond early rather than sleep
        # that little: then the actual start is the reference, never a time before it.
        corrected = int((end - (intended if intended < sent else sent)) * 1e6) or 1
        service = int((end - sent) * 1e6) or 1
        ep.duration.record_value(corrected if corrected < HIGHEST_US else HIGHEST_US)
        ep.service.record_value(service if service < HIGHEST_US else HIGHEST_US)
        ep.total += 1
        self.requests += 1
        if error is None:
            self.status_counts[status] = self.status_counts.get(status, 0) + 1
            bad = 0 if req.succeeded(status) else 1
        else:
            self.errors[error] = self.errors.get(error, 0) + 1
            bad = 1
        ep.failed += bad
        self.failed += bad
        index = int((end - self.t0) / self.window_s)
        timeline = self.timeline
        window = timeline[index if index < len(timeline) else len(timeline) - 1]
        window.count += 1
        window.errors += bad
        window.hist.record_value(corrected if corrected < HIGHEST_US else HIGHEST_US)
        ring, pos = self._ring, self._ring_pos
        self.recent_failed += bad - ring[pos]
        ring[pos] = bad
        self._ring_pos = pos + 1 if pos + 1 < len(ring) else 0

    def recent_failure_rate(self) -> float | None:
        """Share of the last `abort_window` requests that failed, once that many were made."""
        if self.requests < len(self._ring):
            return None
        return self.recent_failed / len(self._ring)

    def ws_connected(self, seconds: float) -> None:
        self.ws_sessions += 1
        self.ws_connecting.record_value(min(int(seconds * 1e6) or 1, HIGHEST_US))

    def ws_message(self, seconds: float) -> None:
        self.ws_rtt.record_value(min(int(seconds * 1e6) or 1, HIGHEST_US))

    def ws_session_failed(self, close_code: int | None, error: str | None) -> None:
        """A session that could not connect or was closed before the run ended."""
        self.ws_failed += 1
        if close_code is not None:
            self.ws_closes[close_code] = self.ws_closes.get(close_code, 0) + 1
        if error is not None:
            self.errors[error] = self.errors.get(error, 0) + 1

    def snapshot(self, meta: RunMeta | None = None) -> Snapshot:
        """The mergeable view (histograms shared, not copied: encode or merge it at once)."""
        snap = Snapshot(window_s=self.window_s, timeline=self.timeline, meta=meta or RunMeta())
        if self.endpoints:
            overall_d, overall_s = new_histogram(), new_histogram()
            for ep in self.endpoints:
                tag = f"{{endpoint:{ep.name}}}"
                snap.histograms[f"http_req_duration{tag}"] = ep.duration
                snap.histograms[f"http_req_service{tag}"] = ep.service
                snap.rates[f"http_req_failed{tag}"] = [ep.failed, ep.total]
                overall_d.add(ep.duration)
                overall_s.add(ep.service)
            snap.histograms["http_req_duration"] = overall_d
            snap.histograms["http_req_service"] = overall_s
            snap.rates["http_req_failed"] = [self.failed, self.requests]
            snap.counters["http_reqs"] = self.requests
            snap.counters["dropped_iterations"] = self.dropped
            snap.counters["scheduled"] = self.scheduled
            snap.counters["late"] = self.late
        if self.ws_attempts:
            snap.histograms["ws_connecting"] = self.ws_connecting
            snap.histograms["ws_msg_rtt"] = self.ws_rtt
            snap.rates["ws_session_failed"] = [self.ws_failed, self.ws_attempts]
            snap.counters["ws_sessions"] = self.ws_sessions
        snap.status_counts = {str(k): v for k, v in self.status_counts.items()}
        snap.errors = dict(self.errors)
        snap.ws_closes = {str(k): v for k, v in self.ws_closes.items()}
        return snap
