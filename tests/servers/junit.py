"""Run the check modules the way the runner does (a pytest subprocess) and read the JUnit."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Case:
    classname: str
    name: str
    outcome: str  # passed | failure | error | skipped
    message: str = ""
    text: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    flaky: list[str] = field(default_factory=list)
    time: float = 0.0


@dataclass
class Run:
    returncode: int
    output: str
    xml: str
    cases: list[Case]

    def case(self, name: str) -> Case:
        found = [c for c in self.cases if c.name == name]
        assert found, f"no testcase {name!r}; have {[c.name for c in self.cases]}\n{self.output}"
        return found[0]


def run_pytest(
    targets: list[str],
    tmp_path: Path,
    *,
    target: str | None = None,
    config: Path | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = 120,
) -> Run:
    """`python -m pytest TARGETS -p gate.plugin --gate-target URL --junitxml FILE`."""
    junit = tmp_path / f"junit-{len(list(tmp_path.glob('junit-*.xml')))}.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *targets,
        "-p",
        "gate.plugin",
        "-p",
        "no:cacheprovider",
        "-q",
        "--junitxml",
        str(junit),
    ]
    if target:
        command += ["--gate-target", target]
    if config:
        command += ["--gate-config", str(config)]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GATE_", "PYTEST_"))}
    # As the runner starts the built-in modules: only the plugin given with `-p`, not every
    # plugin of the test environment (hypothesis's alone cost a second of CPU per process).
    full_env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    full_env.update(env or {})
    proc = subprocess.run(
        command, cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=timeout_s
    )
    output = proc.stdout + proc.stderr
    xml = junit.read_text() if junit.exists() else ""
    return Run(proc.returncode, output, xml, _cases(xml) if xml else [])


def _cases(xml: str) -> list[Case]:
    cases = []
    for node in ET.fromstring(xml).iter("testcase"):
        case = Case(node.get("classname", ""), node.get("name", ""), "passed")
        case.time = float(node.get("time", "0") or 0)
        for child in node:
            if child.tag in ("failure", "error", "skipped"):
                case.outcome = child.tag
                case.message = child.get("message", "")
                case.text = child.text or ""
            elif child.tag == "properties":
                case.properties = {p.get("name", ""): p.get("value", "") for p in child}
            elif child.tag == "flakyFailure":
                case.flaky.append(child.get("message", ""))
        cases.append(case)
    return cases
