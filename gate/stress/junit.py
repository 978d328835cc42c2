"""The stress suite's JUnit: one testcase per threshold, plus one for the run itself.

A failed threshold is a `<failure>` whose message gives the measured value and the limit
("p(95)=612.3 ms, limit < 500 ms"); a threshold with no samples is `<skipped>` ("no samples"),
which the policy (skip budget 0 for blocking suites) treats as inconclusive, never a pass; so is
a threshold relative to a baseline when there is none ("no baseline").
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from gate.config.thresholds import Judgement

CLASSNAME = "stress.thresholds"
RUN_CLASSNAME = "stress.run"


def write_junit(
    path: Path, judgements: list[Judgement], *, run_problem: str | None, duration_s: float
) -> Path:
    """Write the suite file; `run_problem` (an abort, a crash) fails the `stress.run` case."""
    suite = ET.Element("testsuite", name="stress", timestamp="", hostname="")
    cases = 0
    failures = skipped = 0
    for judgement in judgements:
        case = ET.SubElement(
            suite, "testcase", classname=CLASSNAME, name=judgement.threshold.name, time="0"
        )
        cases += 1
        if judgement.no_baseline:
            ET.SubElement(case, "skipped", message=judgement.message)
            skipped += 1
        elif judgement.ok is None:
            ET.SubElement(case, "skipped", message=f"no samples: {judgement.message}")
            skipped += 1
        elif not judgement.ok:
            ET.SubElement(case, "failure", message=judgement.message, type="threshold")
            failures += 1
        else:
            _property(case, "value", judgement.message)
    run_case = ET.SubElement(
        suite, "testcase", classname=RUN_CLASSNAME, name="load run", time=f"{duration_s:.3f}"
    )
    cases += 1
    if run_problem:
        ET.SubElement(run_case, "failure", message=run_problem, type="aborted")
        failures += 1
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{duration_s:.3f}")
    root = ET.Element("testsuites", name="deploy-gate stress")
    root.append(suite)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _property(case: ET.Element, name: str, value: str) -> None:
    props = ET.SubElement(case, "properties")
    ET.SubElement(props, "property", name=name, value=value)
