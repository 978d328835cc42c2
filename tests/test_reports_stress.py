"""The stress part of the reports: percentiles, thresholds, trust notes and the Mermaid chart."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gate.model import GateResult, Outcome, Verdict
from gate.reports import print_summary, render_markdown
from gate.reports.chart import latency_chart

# The number and category forms Mermaid's xychart lexer accepts (xychart.jison).
NUMBER = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"


@pytest.fixture(autouse=True)
def colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich reads TERM/NO_COLOR from the environment: make the TTY tests independent of it."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)


def stress_summary(**changes: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "duration_s": 30.0,
        "target_rate": 200,
        "requests": 6000,
        "dropped": 0,
        "achieved_rate": 199.6,
        "saturated": False,
        "aborted": None,
        "metrics": {
            "http_req_duration": {
                "count": 6000, "min": 0.8, "mean": 6.1, "p50": 4.25, "p90": 9.0,
                "p95": 12.5, "p99": 131.4, "max": 1002.0,
            },
            "http_req_duration{name:/api/jobs}": {
                "count": 3000, "min": 1, "mean": 7, "p50": 5, "p90": 10, "p95": 14, "p99": 150,
                "max": 900,
            },
            "ws_msg_rtt": {"count": 0, "min": None, "mean": None, "p50": None, "p90": None,
                           "p95": None, "p99": None, "max": None},
            "http_req_failed": {"rate": 0.0125, "count": 6000},
        },
        "thresholds": [
            {"metric": "http_req_duration", "expression": "p(95)<500", "value": 12.5, "ok": True},
            {"metric": "http_req_failed", "expression": "rate<0.01", "value": 0.0125, "ok": False},
            {"metric": "ws_msg_rtt", "expression": "p(99)<200", "value": None, "ok": None},
        ],
        "timeline": [
            {"t": t, "rate": 200, "p50": 4 + t, "p95": 10 + t, "p99": 100 + 2 * t, "errors": 0}
            for t in range(30)
        ],
        "status_counts": {"200": 5925, "500": 75},
        "errors": {"timeout": 3},
        "ws_closes": {"1011": 2},
    }  # fmt: skip
    summary.update(changes)
    return summary


def with_stress(stress: dict[str, Any]) -> GateResult:
    return GateResult(Verdict.BLOCK, Outcome.FAILED, ["stress: rate<0.01 failed"], stress=stress)


def test_percentile_table_per_metric() -> None:
    md = render_markdown(with_stress(stress_summary()))
    assert "| Metric (ms) | Count | p50 | p90 | p95 | p99 | Max |" in md
    assert "| `http_req_duration` | 6,000 | 4.2 | 9.0 | 12.5 | 131 | 1,002 |" in md
    assert "| `http_req_duration{name:/api/jobs}` | 3,000 |" in md
    assert "| `ws_msg_rtt` | 0 | – | – | – | – | – |" in md
    assert "| `http_req_failed` | 1.25 % | 6,000 |" in md


def test_thresholds_show_measured_value_against_limit() -> None:
    md = render_markdown(with_stress(stress_summary()))
    assert "| ✅ | `http_req_duration` | `p(95)<500` | 12.5 ms |" in md
    assert "| ❌ | `http_req_failed` | `rate<0.01` | 1.25 % |" in md
    assert "| ⚠️ | `ws_msg_rtt` | `p(99)<200` | no samples (inconclusive) |" in md


def test_counters_are_listed() -> None:
    md = render_markdown(with_stress(stress_summary()))
    assert "**HTTP status:** 200 × 5,925, 500 × 75" in md
    assert "**Errors:** timeout × 3" in md
    assert "**WebSocket closes:** 1011 × 2" in md


def test_saturation_abort_and_dropped_are_said_plainly() -> None:
    md = render_markdown(
        with_stress(stress_summary(saturated=True, aborted="p(99)<200 abortOnFail", dropped=40))
    )
    assert "> ⚠️ The load generator saturated" in md
    assert "inconclusive" in md
    assert "> ⛔ The run was aborted: p(99)<200 abortOnFail" in md
    assert "40 scheduled requests were dropped" in md


def test_chart_is_valid_xychart_beta() -> None:
    chart = latency_chart(stress_summary()["timeline"])
    assert chart is not None
    lines = chart.split("\n")
    assert lines[0] == "```mermaid"
    assert lines[1] == "xychart-beta"
    assert lines[-1] == "```"
    body = [line.strip() for line in lines[2:-1]]
    assert body[0].startswith('title "')
    x_axis = re.fullmatch(r'x-axis "[^"]*" \[(.*)\]', body[1])
    assert x_axis is not None
    categories = x_axis.group(1).split(", ")
    assert all(re.fullmatch(f'"{NUMBER}"', c) for c in categories)
    assert re.fullmatch(f'y-axis "[^"]*" 0 --> {NUMBER}', body[2])
    series = [line for line in body if line.startswith("line")]
    assert len(series) == 3
    for line in series:
        match = re.fullmatch(r"line \[(.*)\]", line)
        assert match is not None
        values = match.group(1).split(", ")
        assert len(values) == len(categories) == 30
        assert all(re.fullmatch(NUMBER, v) for v in values)
    assert "line [100, 102, 104" in chart  # p99 is the third line
    assert re.fullmatch(f'y-axis "[^"]*" 0 --> {NUMBER}', body[2])
    y_max = float(body[2].rsplit(" ", 1)[1])
    assert y_max >= 158  # above the highest p99


def test_chart_downsamples_long_timelines_and_draws_gaps_as_zero() -> None:
    timeline: list[Any] = [{"t": t, "p50": 1.5, "p95": 2, "p99": 3} for t in range(600)]
    timeline[0] = {"t": 0, "p50": None, "p95": float("nan"), "p99": "x"}
    timeline.append("garbage")
    chart = latency_chart(timeline)
    assert chart is not None
    p50 = next(line for line in chart.split("\n") if line.strip().startswith("line"))
    values = p50.strip()[len("line [") : -1].split(", ")
    assert len(values) == 60
    assert values[0] == "0"
    assert values[1] == "1.5"


@pytest.mark.parametrize("timeline", [None, [], [{"t": 0, "p50": 1}], "nope", [{"p50": 1}] * 5])
def test_no_chart_without_two_points(timeline: Any) -> None:
    assert latency_chart(timeline) is None


def test_chart_is_in_the_summary_with_its_legend() -> None:
    md = render_markdown(with_stress(stress_summary()))
    assert "```mermaid\nxychart-beta" in md
    assert "lines from bottom to top: p50, p95, p99" in md


def test_malformed_stress_summary_does_not_break_the_report() -> None:
    broken = {
        "metrics": {"x": "not a dict", "y": {"p50": "fast", "count": True}},
        "thresholds": [None, {"ok": "yes", "value": float("inf")}],
        "timeline": {"t": 1},
        "status_counts": ["200"],
        "requests": "many",
    }
    md = render_markdown(with_stress(broken))
    assert "### 📈 Stress" in md
    assert "| `y` | – | – | – | – | – | – |" in md
    assert "| ⚠️ |  |  | no samples (inconclusive) |" in md
    out = io.StringIO()
    print_summary(with_stress(broken), out, env={})
    assert "stress:" in out.getvalue()


def test_terminal_shows_percentiles_plain_and_rich() -> None:
    plain = io.StringIO()
    print_summary(with_stress(stress_summary()), plain, env={})
    text = plain.getvalue()
    assert re.search(r"http_req_duration\s+6,000\s+4\.2\s+9\.0\s+12\.5\s+131\s+1,002", text)
    assert "threshold http_req_failed rate<0.01: measured 1.25 % -> FAILED" in text
    assert "threshold ws_msg_rtt p(99)<200: measured no samples -> INCONCLUSIVE" in text
    rich = io.StringIO()
    print_summary(with_stress(stress_summary()), rich, tty=True, env={})
    assert "\x1b[" in rich.getvalue()
    assert "http_req_duration" in rich.getvalue()
    assert "1,002" in rich.getvalue()
    assert "http_req_failed: rate 1.25 % of 6,000" in rich.getvalue()


def test_a_tight_limit_drops_whole_stress_tables_and_says_so() -> None:
    md = render_markdown(with_stress(stress_summary()), limit=2_000)
    assert len(md) <= 2_000
    assert md.startswith("## ⛔ deploy-gate: block")
    line = next(x for x in md.split("\n") if "Truncated" in x)
    assert re.search(r"not shown here: \d+ summary sections?\.", line)
    assert "```mermaid" not in md
    assert "lines from bottom to top" not in md  # the legend goes with its chart


MERMAID = Path(__file__).parent / "tools" / "mermaid"


def mermaid_parse(diagram: str) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (MERMAID / "node_modules" / "mermaid").is_dir():
        pytest.skip("Mermaid's parser is not installed (run tests/tools/install-extras.sh)")
    return subprocess.run(
        [node, str(MERMAID / "parse.mjs")],
        input=diagram,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_summary_chart_parses_with_mermaids_own_parser() -> None:
    md = render_markdown(with_stress(stress_summary()))
    block = re.search(r"```mermaid\n(.*?)\n```", md, flags=re.S)
    assert block is not None
    parsed = mermaid_parse(block.group(1))
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    assert parsed.stdout.strip() == "xychart"
    # The check has teeth: a value Mermaid's lexer does not accept is refused.
    broken = mermaid_parse(block.group(1).replace("line [", "line [1e3, ", 1))
    assert broken.returncode == 1
    assert "parse error" in broken.stdout


def test_odd_timelines_still_parse() -> None:
    timeline: list[Any] = [
        {"t": t / 4, "p50": 0.123 * t, "p95": None, "p99": 12345.678} for t in range(200)
    ]
    chart = latency_chart(timeline)
    assert chart is not None
    parsed = mermaid_parse(chart.removeprefix("```mermaid\n").removesuffix("\n```"))
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr


def throughput_summary() -> dict[str, Any]:
    summary = stress_summary()
    summary["metrics"].update(
        {
            "http_reqs": {"rate": 5096.5, "count": 152_895},
            "dropped_iterations": {"rate": 0.0, "count": 0},
            "ws_session_failed": {"rate": 0.5, "count": 4},
        }
    )
    summary["thresholds"].append(
        {"metric": "http_reqs", "expression": "rate>100", "value": 5096.5, "ok": True}
    )
    return summary


def test_rate_metrics_are_rendered_by_kind() -> None:
    """Failure rates are fractions (%); counters are throughput (requests per second)."""
    md = render_markdown(with_stress(throughput_summary()))
    assert "| `http_reqs` | 5,096.5/s | 152,895 |" in md
    assert "| `dropped_iterations` | 0.0/s | 0 |" in md
    assert "| `ws_session_failed` | 50.00 % | 4 |" in md
    assert "| `http_req_failed` | 1.25 % | 6,000 |" in md
    assert "| ✅ | `http_reqs` | `rate>100` | 5,096.5/s |" in md
    assert "5096.50 %" not in md


def test_terminal_renders_throughput_per_second_plain_and_rich() -> None:
    plain = io.StringIO()
    print_summary(with_stress(throughput_summary()), plain, env={})
    assert re.search(r"http_reqs\s+5,096\.5/s, 152,895 total", plain.getvalue())
    assert "threshold http_reqs rate>100: measured 5,096.5/s -> ok" in plain.getvalue()
    rich = io.StringIO()
    print_summary(with_stress(throughput_summary()), rich, tty=True, env={})
    assert "http_reqs: 5,096.5/s, 152,895 total" in rich.getvalue()
    assert "http_req_failed: rate 1.25 % of 6,000" in rich.getvalue()


SATURATION = (
    "generator saturated: 12% of requests started late (> 50 ms), worker CPU 97%: "
    "lower the rate or add shards (gate merge)"
)


def test_saturation_reason_and_late_requests_are_shown_everywhere() -> None:
    result = with_stress(stress_summary(saturated=True, saturation_reason=SATURATION, late=720))
    md = render_markdown(result)
    assert "> ⚠️ Why: generator saturated: 12% of requests started late" in md
    assert "add shards (gate merge); 720 requests started late." in md
    plain = io.StringIO()
    print_summary(result, plain, env={})
    assert f"note: Why: {SATURATION}; 720 requests started late." in plain.getvalue()
    rich = io.StringIO()
    print_summary(result, rich, tty=True, env={})
    assert "Why: generator saturated: 12% of requests started late" in rich.getvalue()
    assert "720 requests started late." in rich.getvalue()


def test_no_saturation_reason_when_the_generator_kept_up() -> None:
    md = render_markdown(with_stress(stress_summary(saturation_reason=None, late=3)))
    assert "Why" not in md
    assert "started late" not in md


LONG_ENDPOINT = "GET /-/versions.json?with=a-very-long-query-string-that-no-column-fits"


def test_terminal_latency_table_groups_by_endpoint_and_never_cuts_a_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 15: the table showed `http_req_durati…-/versions.json}`."""
    metrics = stress_summary()["metrics"]
    metrics[f"http_req_duration{{endpoint:{LONG_ENDPOINT}}}"] = dict(
        metrics["http_req_duration"], count=1234
    )
    result = with_stress(stress_summary(metrics=metrics))
    plain = io.StringIO()
    print_summary(result, plain, env={})
    lines = plain.getvalue().splitlines()
    at = lines.index(f"    {LONG_ENDPOINT}")  # the endpoint whole, under its metric
    assert re.fullmatch(r"\s+1,234\s+4\.2\s+9\.0\s+12\.5\s+131\s+1,002", lines[at + 1])
    assert re.fullmatch(r"    /api/jobs\s+3,000\s+5\.0.*", lines[at - 1])  # `{name:...}` too
    assert re.fullmatch(r"  http_req_duration\s+6,000\s+4\.2.*", lines[at - 2])
    assert "…" not in plain.getvalue()
    monkeypatch.setenv("COLUMNS", "100")
    rich = io.StringIO()
    print_summary(result, rich, tty=True, env={})
    text = re.sub(r"\x1b\[[0-9;]*m", "", rich.getvalue())
    assert "…" not in text
    first_column = "".join(line[:50] for line in text.splitlines() if "GET" in line or "-" in line)
    assert LONG_ENDPOINT.replace(" ", "") in first_column.replace(" ", "")
