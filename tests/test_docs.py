"""The documentation cannot drift from the code: every key, input, flag, variable and fault the
code knows is named in `docs/`, the README stays short with its two commands first, and the site
builds strictly."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tomllib
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML

from gate.cli import build_parser
from gate.config import load_config
from gate.config.schema import GateConfig
from gate.demo.faults import FAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The configuration models inside an annotation (through lists, dicts and optionals)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def config_keys(model: type[BaseModel] = GateConfig, prefix: str = "") -> Iterator[str]:
    """Every key the configuration accepts, as a dotted path (`smoke.http.max_ms`)."""
    for name, field in model.model_fields.items():
        path = prefix + (field.alias or name)
        yield path
        for inner in _models(field.annotation):
            yield from config_keys(inner, path + ".")


def test_config_key_walk_finds_nested_keys() -> None:
    keys = set(config_keys())
    assert {"target", "smoke.http.max_ms", "e2e.flows.steps.poll.until"} <= keys
    assert "policy.quarantine.id" in keys


def test_every_config_key_is_in_the_reference() -> None:
    reference = doc("configuration.md")

    def documented(key: str) -> bool:  # a row, or for a top-level table its heading
        return f"| `{key}` |" in reference or f"## `[{key}]`" in reference

    missing = [key for key in config_keys() if not documented(key)]
    assert not missing, f"docs/configuration.md lacks a row for: {', '.join(missing)}"


def test_every_action_input_and_output_is_documented() -> None:
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
    page = doc("action.md")
    names = [*action["inputs"], *action["outputs"]]
    missing = [n for n in names if not re.search(rf"^\| `{re.escape(n)}` \|", page, re.M)]
    assert not missing, f"docs/action.md lacks a table row for: {', '.join(missing)}"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public way to list subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_cli_command_and_flag_is_documented() -> None:
    page = doc("cli.md")
    missing = []
    for name, sub in _subcommands(build_parser()).items():
        if f"`gate {name}" not in page:
            missing.append(f"gate {name}")
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help") and f"`{flag}" not in page:
                    missing.append(f"gate {name} {flag}")
    assert not missing, f"docs/cli.md does not mention: {', '.join(missing)}"


_NOT_VARIABLES = {"GATE_SUITE", "GITHUB_SURFACES"}  # module constants, not environment


def environment_variables() -> set[str]:
    """`GATE_*` / `GITHUB_*` names the package reads (string literals in its source)."""
    found: set[str] = set()
    for path in (ROOT / "gate").rglob("*.py"):
        found |= set(re.findall(r"[\"']((?:GATE|GITHUB)_[A-Z0-9_]*)[\"']", path.read_text()))
    return found - _NOT_VARIABLES


def test_every_environment_variable_is_documented() -> None:
    page = doc("environment.md")
    variables = environment_variables()
    assert {"GATE_TARGET_URL", "GATE_CONFIG", "GITHUB_API_URL"} <= variables
    missing = sorted(v for v in variables if f"`{v}" not in page)
    assert not missing, f"docs/environment.md does not mention: {', '.join(missing)}"


def test_every_demo_fault_is_documented() -> None:
    page = doc("demo.md")
    missing = [f for f in FAULTS if not re.search(rf"^\| `{re.escape(f)}` \|", page, re.M)]
    assert not missing, f"docs/demo.md lacks a row for fault(s): {', '.join(missing)}"


def test_every_page_is_in_the_site_navigation() -> None:
    nav = YAML(typ="safe").load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    listed = {page for entry in nav for page in entry.values()}
    assert listed == {p.name for p in DOCS.glob("*.md")}


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- README -------------------------------------------------------------------------------------


def test_readme_is_short() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    assert text.index("```bash\n") < text.index("\n## "), "the commands come first"
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    first, second = (shlex.split(line) for line in lines)
    assert "demo" in first
    assert "pip" in " ".join(first)
    assert "pytest" in " ".join(second)


def test_readme_config_example_loads(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    tomllib.loads(example)
    path = tmp_path / "gate.toml"
    path.write_text(example, encoding="utf-8")
    (tmp_path / "tests" / "e2e").mkdir(parents=True)
    config = load_config(path, env={"STAGING_TOKEN": "t0ps3cret"})
    assert config.stress is not None
    assert config.stress.parsed_thresholds()
    assert config.smoke is not None
    assert config.smoke.http


def test_readme_links_to_existing_files() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(((?!https?:)[^)#]+)\)", text)
    assert targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, missing


def test_the_code_cites_the_design_page() -> None:
    """The code once cited a DESIGN.md that is not in the repository."""
    citing = [p.name for p in (ROOT / "gate").rglob("*.py") if "DESIGN.md" in p.read_text()]
    assert not citing, f"cite docs/design.md instead of DESIGN.md in: {', '.join(citing)}"
