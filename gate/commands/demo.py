"""`gate demo`: start the bundled demo service, gate it with the bundled gate.toml, stop it.

The bundled configuration reads its tokens from `DEMO_TOKEN` and `DEMO_TOKEN_2` (two identities
for the event isolation check); fresh random values are set for the run, as a deploy pipeline
would inject secrets, so they are also redacted from every output.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

from gate.commands.run import execute, interrupt_on_sigterm
from gate.config import GateConfig, load_config
from gate.demo import BUNDLED_CONFIG, describe_faults, launch
from gate.demo.faults import check_fault

TOKEN_VARS = ("DEMO_TOKEN", "DEMO_TOKEN_2")
# The service has said it listens before the gate starts, so readiness needs no rollout margin:
# `--fault down` is reported in seconds instead of the example's 30 s.
DEMO_READINESS_S = 5.0


def main(args: argparse.Namespace) -> int:
    if args.list_faults:
        print(describe_faults())
        return 0
    from gate.reports import remove_reports

    remove_reports(Path(args.out))  # no earlier result may outlive a failure of this one
    fault = check_fault(args.fault)
    tokens = {name: f"demo-{secrets.token_urlsafe(18)}" for name in TOKEN_VARS}
    with _environment(tokens), interrupt_on_sigterm():
        config = _quick_readiness(load_config(BUNDLED_CONFIG))
        with launch(fault, token=list(tokens.values())) as url:
            injected = f" with the fault {fault!r}" if fault else ""
            print(f"gate demo: the demo service runs on {url}{injected}", flush=True)
            code = execute(
                config, config_path=BUNDLED_CONFIG, target=url, suites=None, out_dir=Path(args.out)
            )
    print(f"gate demo: the service was stopped; outputs are in {args.out}/", file=sys.stderr)
    return code


def _quick_readiness(config: GateConfig) -> GateConfig:
    if config.readiness is None or config.readiness.timeout_s <= DEMO_READINESS_S:
        return config
    readiness = config.readiness.model_copy(update={"timeout_s": DEMO_READINESS_S})
    return config.model_copy(update={"readiness": readiness})


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set `values` in the environment (the suites' subprocesses inherit it), then restore."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
