"""`gate`: the command line (docs/design.md: Commands, Exit codes).

Each subcommand lives in `gate.commands.<name>` with `main(args) -> int` and is imported only
when used, so `gate --help` stays fast. Exit codes: 0 pass, 1 block, 2 usage/configuration.
An unexpected exception is an internal failure: a block (1) with a message, never a pass.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from gate import __version__
from gate.errors import DEBUG_VAR, GateError, UsageError, print_debug_traceback

EXIT_PASS, EXIT_BLOCK, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message but say how to get help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"gate: error: {message}\nRun `{self.prog} --help` for the options.\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gate", description="May this deployment go further? pass or block.")
    parser.add_argument("--version", action="version", version=f"deploy-gate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run the configured suites against the target")
    run.add_argument("--config", help="gate.toml path (default: $GATE_CONFIG, gate.toml)")
    run.add_argument("--target", help="base URL to check (default: $GATE_TARGET_URL, config)")
    run.add_argument("--suites", help="comma list of smoke,e2e,stress (default: config)")
    run.add_argument("--junit", action="append", default=[], help="extra JUnit path/glob")
    run.add_argument(
        "--keep-going",
        action="store_true",
        help="run e2e and stress even when smoke blocks (default: stop; [policy] smoke_gates_rest)",
    )
    run.add_argument(
        "--requirements",
        action="append",
        default=[],
        metavar="PACKAGE_OR_FILE",
        help="package (or requirements .txt) the E2E tests import, installed first; repeatable",
    )
    _baseline(run)
    _out(run)

    report = sub.add_parser("report", help="verdict from existing JUnit files (any producer)")
    report.add_argument("junit", nargs="+", help="JUnit files, folders or globs")
    report.add_argument("--config", help="gate.toml path (for the policy)")
    _baseline(report)
    _out(report)

    publish = sub.add_parser("publish", help="post the verdict to GitHub")
    publish.add_argument("--result", default="gate-results/result.json", help="result.json path")
    publish.add_argument("--dry-run", action="store_true", help="print the calls, send none")
    publish.add_argument("--config", help="gate.toml path")
    publish.add_argument(
        "--surfaces",
        help="comma list of comment,deployment-status,"
        "commit-status,check-run,summary (default: [publish] surfaces)",
    )
    publish.add_argument("--environment", help="environment name (default: event, config)")
    publish.add_argument("--pr", type=int, help="pull request to comment on ($GATE_PR_NUMBER)")
    publish.add_argument("--deployment-id", type=int, help="deployment ($GATE_DEPLOYMENT_ID)")
    publish.add_argument("--sha", help="commit for statuses and check run ($GATE_SHA)")

    require = sub.add_parser(
        "require", help="exit 0 only if the gate passed ENV on this commit (promotion check)"
    )
    require.add_argument("--environment", required=True, help="environment whose verdict counts")
    require.add_argument("--sha", help="commit to ask about (default: the event's commit)")
    require.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS while the verdict is pending or not there yet (default 0)",
    )
    require.add_argument(
        "--interval", type=float, default=10.0, metavar="SECONDS", help="between two asks (10)"
    )

    merge = sub.add_parser("merge", help="merge shard outputs into one result")
    merge.add_argument("dirs", nargs="+", help="shard output directories")
    merge.add_argument("--config", help="gate.toml path (for the policy and thresholds)")
    _baseline(merge)
    _out(merge, required=True)

    demo = sub.add_parser("demo", help="gate the bundled demo service on loopback")
    demo.add_argument("--fault", help="inject a fault into the demo service (see --list-faults)")
    demo.add_argument("--list-faults", action="store_true", help="list the injectable faults")
    _out(demo)
    return parser


def _baseline(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="compare with an earlier output folder (docs/baseline.md)",
    )
    parser.add_argument(
        "--baseline-missing-ok",
        action="store_true",
        help="an unreadable --baseline is a warning and no comparison, not exit 2",
    )


def _out(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument(
        "--out",
        required=required,
        default=None if required else "gate-results",
        help="output directory (default: gate-results/)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = args.command
    try:
        _check_out(getattr(args, "out", None))
        _check_baseline(getattr(args, "baseline", None), getattr(args, "out", None))
        command = importlib.import_module(f"gate.commands.{name}")
        if argv is None:  # the process's own command line (not a caller's in-process call)
            # Imported modules live as long as the process: kept out of the cyclic
            # collector's full passes, which otherwise walk them again and again while a
            # million testcases are read. Not for in-process callers (a test session): what
            # is frozen is never collected.
            gc.freeze()
        return int(command.main(args))
    except UsageError as exc:
        print(f"gate {name}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"gate {name}: interrupted: block", file=sys.stderr)
        return EXIT_BLOCK
    except GateError as exc:  # raised on purpose, with a message for a person (not a bug)
        print(f"gate {name}: {exc}\ngate {name}: the verdict is block", file=sys.stderr)
        return EXIT_BLOCK
    except OSError as exc:  # the machine, not the gate: a full disk, a file that went away
        print_debug_traceback()
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            f"gate {name}: {where}{exc.strerror or _text(exc)}: the verdict is block",
            file=sys.stderr,
        )
        return EXIT_BLOCK
    except Exception as exc:  # fail closed: an internal failure is a block, never a pass
        print_debug_traceback()
        print(
            f"gate {name}: internal error, the verdict is block: "
            f"{type(exc).__name__}: {_text(exc)}\n"
            "This is a bug in deploy-gate; please report it with the command you ran "
            f"(set {DEBUG_VAR}=1 to print the traceback).",
            file=sys.stderr,
        )
        return EXIT_BLOCK


def _check_out(out: str | None) -> None:
    """`--out` must be a folder or creatable as one: found before any suite runs, not after."""
    if out is None:
        return
    path = Path(out)
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise UsageError(f"--out {out}: {part} is a file, not a folder")
            return


def _check_baseline(baseline: str | None, out: str | None) -> None:
    """The outputs are cleared first: a baseline in the --out folder would be deleted by it."""
    if baseline and out and Path(baseline).resolve() == Path(out).resolve():
        raise UsageError(
            f"--baseline {baseline} is also the --out folder, which this run replaces; "
            "copy the earlier outputs elsewhere or choose another --out"
        )


def _text(exc: BaseException) -> str:
    """The exception's message, credential shapes masked (it may quote a URL or a header)."""
    from gate.redact import Redactor

    return Redactor()(str(exc))[:500]
