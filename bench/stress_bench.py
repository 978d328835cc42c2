"""Stress engine benchmark: deploy-gate vs Locust FastHttpUser vs wrk, one core each.

Installs nothing. Needs (Debian) `apt-get install -y nginx wrk` and (PyPI, ideally in its own
venv: Locust pins greenlet) `pip install locust`; run from the repository root:

    .venv/bin/python bench/stress_bench.py [--duration 10] [--connections 50]

Method (printed again with the results):
- nginx (1 worker, access log off, `return 200 "ok"`) on a free loopback port, pinned to core 0
  with `taskset -c 0`.
- Each load generator in turn, pinned to core 1 with `taskset -c 1`, against the same URL for the
  same duration with the same number of connections:
  1. deploy-gate, 1 worker, closed mode (N back-to-back loops = generator capacity; the gate's
     open model is only as fast as this),
  2. deploy-gate, 1 worker, open model at 50% and 80% of that capacity (schedule kept?),
  3. Locust FastHttpUser, `--headless -u N -r N --processes 1`, no wait time,
  4. wrk `-t1 -cN`.
- Memory: a separate process records 1,000,000 requests into the engine's recorder and prints
  its RSS before and after (HdrHistograms: constant memory).
The machine may be shared and noisy: run it more than once before quoting a figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ default_type text/plain; return 200 "ok"; }}
    }}
}}
"""

LOCUSTFILE = """
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

class Hit(FastHttpUser):
    wait_time = constant(0)

    @task
    def root(self):
        self.client.get("/")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--engine-child", nargs=3, metavar=("URL", "MODE", "RATE"), help=argparse.SUPPRESS
    )
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_child:
        return _engine_child(*args.engine_child, args.duration, args.connections)
    if args.memory_child:
        return _memory_child()
    missing = [t for t in ("nginx", "wrk", "taskset", "locust") if not _which(t)]
    if missing:
        print(
            f"missing: {', '.join(missing)}; install with `apt-get install -y nginx wrk` "
            "and `pip install locust`",
            file=sys.stderr,
        )
        return 2
    if (os.cpu_count() or 1) < 2:
        print("needs 2 cores (nginx on core 0, generators on core 1)", file=sys.stderr)
        return 2
    return _bench(args.duration, args.connections)


def _which(tool: str) -> str | None:
    local = Path(sys.executable).parent / tool
    return str(local) if local.exists() else shutil.which(tool)


def _bench(duration: int, conns: int) -> int:
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as tmp:
        port = _free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=tmp, port=port))
        nginx = subprocess.Popen(
            ["taskset", "-c", "0", "nginx", "-c", str(conf), "-p", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_port(port)
            print(_method(duration, conns, url))
            closed = _engine(url, "closed", 0, duration, conns)
            print(f"deploy-gate closed  : {closed['rps']:>10,.0f} req/s")
            for share in (0.5, 0.8):
                open_rate = int(closed["rps"] * share)
                opened = _engine(url, "open", open_rate, duration, conns)
                print(
                    f"deploy-gate open    : {opened['rps']:>10,.0f} req/s at target "
                    f"{open_rate:,}/s ({share:.0%}; late {opened['late']:,}, dropped "
                    f"{opened['dropped']:,}, p99 {opened['p99']:.2f} ms)"
                )
            locust = _locust(url, duration, conns, Path(tmp))
            print(f"locust FastHttpUser : {locust:>10,.0f} req/s")
            wrk = _wrk(url, duration, conns)
            print(f"wrk                 : {wrk:>10,.0f} req/s")
            memory = _memory()
        finally:
            nginx.terminate()
            nginx.wait(10)
    print()
    print(f"gate closed / locust : {closed['rps'] / locust:.2f}x   (goal >= 2x)")
    print(f"gate closed / wrk    : {closed['rps'] / wrk:.2f}x")
    print(f"locust / wrk         : {locust / wrk:.2f}x")
    print(f"memory: {memory}")
    return 0


def _method(duration: int, conns: int, url: str) -> str:
    return textwrap.dedent(f"""\
        method: nginx 1 worker on core 0 (taskset -c 0), target {url}/ ("ok", keep-alive);
                each generator alone on core 1 (taskset -c 1), {duration} s, {conns} connections;
                deploy-gate: 1 worker, uvloop, its lean HTTP/1.1 client; 'closed' = {conns}
                back-to-back loops (capacity), 'open' = open model at 50% and 80% of it;
                locust: FastHttpUser, -u {conns} -r {conns} --processes 1, no wait;
                wrk: -t1 -c{conns}. cores: {os.cpu_count()}, python {sys.version.split()[0]}
        """)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start")


def _engine(url: str, mode: str, rate: int, duration: int, conns: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            sys.executable,
            __file__,
            "--duration",
            str(duration),
            "--connections",
            str(conns),
            "--engine-child",
            url,
            mode,
            str(rate),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _engine_child(url: str, mode: str, rate: str, duration: int, conns: int) -> int:
    from gate.config import validate_config
    from gate.stress import run_stress

    closed = mode == "closed"
    stress = {
        "rate": 1 if closed else float(rate),
        "duration_s": duration,
        "workers": 1,
        "connections": conns,
        "max_in_flight": 10 * conns,
        "max_requests": 20_000_000,
        "thresholds": {"http_req_failed": ["rate<0.01"]},
    }
    config = validate_config({"stress": stress}, env={}).stress
    assert config is not None
    with tempfile.TemporaryDirectory() as tmp:
        run = run_stress(
            config,
            target=url,
            out_dir=Path(tmp),
            secrets=frozenset(),
            progress=False,
            closed_concurrency=conns if closed else None,
        )
    s = run.summary
    overall = s.trends().get("http_req_duration")
    print(
        json.dumps(
            {
                "rps": s.achieved_rate,
                "late": s.late,
                "dropped": s.dropped,
                "p99": overall.p99 if overall else None,
            }
        )
    )
    return 0


def _locust(url: str, duration: int, conns: int, tmp: Path) -> float:
    locustfile = tmp / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    prefix = tmp / "locust"
    subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            _which("locust") or "locust",
            "-f",
            str(locustfile),
            "--headless",
            "-u",
            str(conns),
            "-r",
            str(conns),
            "-t",
            f"{duration}s",
            "--processes",
            "1",
            "--host",
            url,
            "--only-summary",
            "--csv",
            str(prefix),
            "--loglevel",
            "ERROR",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp,
    )
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "Aggregated":
                return float(row["Requests/s"])
    raise RuntimeError("locust wrote no aggregated stats")


def _wrk(url: str, duration: int, conns: int) -> float:
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{duration}s", url + "/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if not match:
        raise RuntimeError(f"cannot read wrk output: {out}")
    return float(match.group(1))


def _memory() -> str:
    return subprocess.run(
        [sys.executable, __file__, "--memory-child"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _memory_child() -> int:
    from gate.stress.recorder import Recorder
    from gate.stress.request import EndpointPlan, PreparedRequest

    plan = EndpointPlan("GET /", "GET", "http://127.0.0.1/", {}, None, None)
    endpoint = PreparedRequest.from_plan(0, plan)
    recorder = Recorder([plan.name], 0.0, 1.0, 60, 100)
    before = _rss_mib()
    started = time.perf_counter()
    for i in range(1_000_000):
        t = i * 1e-5
        recorder.http(endpoint, t, t + 0.0001, t + 0.0002 + (i % 997) * 1e-5, 200, None)
    per = time.perf_counter() - started  # seconds for 1M
    snapshot = json.dumps(recorder.snapshot().to_json())
    after = _rss_mib()
    print(
        f"RSS {before:.1f} MiB before, {after:.1f} MiB after recording 1,000,000 requests "
        f"(+{after - before:.1f} MiB; {per:.2f} us per recorded request; "
        f"serialised snapshot {len(snapshot) / 1024:.0f} KiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
