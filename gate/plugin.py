"""pytest plugin (entry point `pytest11`, also loaded with `-p gate.plugin`): the gate's fixtures.

Users' own E2E tests and the built-in check modules use the same fixtures:

- `gate_config`: the loaded `GateConfig` (`--gate-config PATH`, else `$GATE_CONFIG`/`gate.toml`);
- `base_url`: the target (`--gate-target URL`, else `$GATE_TARGET_URL`, else `target` in config);
- `http`: an `httpx.Client` bound to `base_url` with the `[auth]` headers; `http_as("bob")` one
  for a named identity of `[auth.identities]`, `http_as(auth=False)` an anonymous one;
- `ws_connect(path, identity=None, auth="header", headers=None)`: a WebSocket whose failures say
  the close code and reason;
- `gate_session`: the run's `CheckSession` (identities that log in do so once per process).

Markers `p1`..`p6` become the JUnit property `priority`. Everything a failure prints is redacted
(configured secrets, login tokens, secret captures and credential shapes). A test that passed
only because a network-level error was retried gets a Surefire-style `<flakyFailure>` element,
which the JUnit reader counts as flaky.

The plugin is inert in test runs that use none of it: no option, no fixture, no change.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

# pytest has no public way to add a child element to a testcase; its JUnit writer is kept under
# this stash key. Private, so pinned (pytest<10 in pyproject.toml) and exercised by
# tests/test_plugin.py::test_pass_after_network_retry_is_reported_flaky: if pytest moves it, the
# plugin fails to load (every suite blocks as crashed) instead of silently losing flakiness.
from _pytest.junitxml import xml_key

from gate.checks import NOTHING_CONFIGURED
from gate.checks.client import DEFAULT_TIMEOUT_S
from gate.checks.session import CheckSession, Secrets
from gate.checks.ws import WebSocket
from gate.config import GateConfig, load_config
from gate.errors import ConfigError
from gate.redact import Redactor

TIERS = ("p1", "p2", "p3", "p4", "p5", "p6")
PACKAGE_DIR = Path(__file__).parent
CHECKS_DIR = PACKAGE_DIR / "checks"

_config_key = pytest.StashKey[GateConfig]()
_secrets_key = pytest.StashKey[Secrets]()
_session_key = pytest.StashKey[CheckSession]()
_retries_key = pytest.StashKey[list[str]]()
_renamed_key = pytest.StashKey[set[str]]()  # node ids the plugin gave their readable names
_unconfigured_key = pytest.StashKey[list[str]]()  # built-in check kinds with nothing configured


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gate", "deploy-gate")
    group.addoption("--gate-target", help="base URL of the deployment under test")
    group.addoption("--gate-config", help="gate.toml to load (default: $GATE_CONFIG, gate.toml)")


def pytest_configure(config: pytest.Config) -> None:
    for tier in TIERS:
        config.addinivalue_line(
            "markers", f"{tier}: deploy-gate priority tier {tier} (JUnit property 'priority')"
        )
    if config.getoption("gate_config", None) or config.getoption("gate_target", None):
        gate_config_of(config)  # a bad configuration stops the run before any test
    _keep_renamed_ids_whole(config)


def _keep_renamed_ids_whole(config: pytest.Config) -> None:
    """pytest writes a failing test's id relative to the working directory in its short summary
    (`FAILED ../smoke.http::GET / -> 200`); the ids this plugin gives are names, not paths, and
    are shown as they are, as in JUnit and the gate's reports."""
    renamed = config.stash.setdefault(_renamed_key, set())
    relative = config.cwd_relative_nodeid

    def cwd_relative_nodeid(nodeid: Any) -> Any:  # a str (pytest 8) or a NodeId (pytest 9)
        return nodeid if str(nodeid) in renamed else relative(nodeid)

    config.cwd_relative_nodeid = cwd_relative_nodeid  # type: ignore[method-assign]


# -- configuration -----------------------------------------------------------------------------


def gate_config_of(config: pytest.Config) -> GateConfig:
    """The `GateConfig` for this pytest run, loaded once; a bad file is a usage error."""
    if _config_key not in config.stash:
        path = config.getoption("gate_config", None)
        try:
            config.stash[_config_key] = load_config(path)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[_config_key]


def target_of(config: pytest.Config) -> str | None:
    target = config.getoption("gate_target", None) or os.environ.get("GATE_TARGET_URL")
    return target or gate_config_of(config).target


def secrets_of(config: pytest.Config) -> Secrets:
    """Configured secrets, plus login tokens and secret captures as checks obtain them."""
    if _secrets_key not in config.stash:
        initial = config.stash[_config_key].secret_values if _config_key in config.stash else ()
        config.stash[_secrets_key] = Secrets(initial)
    return config.stash[_secrets_key]


def _redactor(config: pytest.Config) -> Redactor:
    """Every secret known so far plus the credential shapes."""
    if _config_key not in config.stash:
        return Redactor()
    return secrets_of(config).redactor()


def check_session_of(config: pytest.Config, base_url: str) -> CheckSession:
    """The run's `CheckSession` (one per pytest process: logins happen once)."""
    if _session_key not in config.stash:
        gate = gate_config_of(config)
        config.stash[_session_key] = CheckSession(
            gate, base_url, timeout_s=_timeout(gate), secrets=secrets_of(config)
        )
    return config.stash[_session_key]


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def gate_config(pytestconfig: pytest.Config) -> GateConfig:
    """The loaded deploy-gate configuration."""
    return gate_config_of(pytestconfig)


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str:
    """The deployment under test, without a trailing slash."""
    target = target_of(pytestconfig)
    if not target:
        pytest.fail(
            "deploy-gate: no target; pass --gate-target URL, set GATE_TARGET_URL, "
            "or set `target` in gate.toml",
            pytrace=False,
        )
    if not target.startswith(("http://", "https://")):
        pytest.fail(f"deploy-gate: target {target!r} is not an http(s) URL", pytrace=False)
    return target.rstrip("/")


def _record_retry(request: pytest.FixtureRequest) -> Callable[[str], None]:
    return lambda message: record_retry(request.node, message)


def record_retry(item: pytest.Item, message: str) -> None:
    """A network retry during `item`: a pass becomes flaky (also for work done in threads)."""
    item.stash.setdefault(_retries_key, []).append(message)


@pytest.fixture(scope="session")
def gate_session(pytestconfig: pytest.Config, base_url: str) -> CheckSession:
    """Identities (static and logged in), clients and sockets for the whole run."""
    return check_session_of(pytestconfig, base_url)


def _timeout(config: GateConfig) -> float:
    return config.e2e.request_timeout_s if config.e2e else DEFAULT_TIMEOUT_S


@pytest.fixture
def http_as(
    request: pytest.FixtureRequest, gate_session: CheckSession
) -> Iterator[Callable[..., httpx.Client]]:
    """`http_as("bob")`: a client authenticated as a named identity of `[auth.identities]`
    (a login identity logs in once per run); `http_as(auth=False)` an anonymous one;
    `timeout_s=` overrides the request timeout. A failed login fails the test with its reason."""
    clients: list[httpx.Client] = []

    def factory(
        identity: str | None = None, *, auth: bool = True, timeout_s: float | None = None
    ) -> httpx.Client:
        try:
            client = gate_session.client(
                identity, auth=auth, timeout_s=timeout_s, on_retry=_record_retry(request)
            )
        except (ConfigError, AssertionError) as exc:
            pytest.fail(str(exc), pytrace=False)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def http(http_as: Callable[..., httpx.Client]) -> httpx.Client:
    """An `httpx.Client` bound to the target, sending the `[auth]` headers."""
    return http_as(None)


@pytest.fixture
def ws_connect(gate_session: CheckSession) -> Iterator[Callable[..., WebSocket]]:
    """`ws_connect("/ws/agent", identity=None, auth="header"|"query"|"none", headers=None)`
    -> `WebSocket`.

    `auth="query"` sends the bearer token as `?token=...` (browsers cannot set headers);
    `headers` are further handshake headers.
    """
    opened: list[WebSocket] = []

    def connect(
        path: str,
        identity: str | None = None,
        auth: Literal["header", "query", "none"] = "header",
        query_param: str = "token",
        open_timeout_s: float = 10.0,
        headers: dict[str, str] | None = None,
    ) -> WebSocket:
        try:
            socket = gate_session.socket(
                path,
                identity,
                auth,
                query_param,
                headers=headers,
                open_timeout_s=open_timeout_s,
            )
        except ConfigError as exc:
            pytest.fail(str(exc), pytrace=False)
        opened.append(socket)
        return socket

    yield connect
    for socket in opened:
        socket.close()


# -- collection and reporting ------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Write the closest `p1`..`p6` marker as the JUnit property `priority`, and drop built-in
    check functions that have nothing configured (pytest would report them as skipped, and a
    skip is not free under the gate's skip budget)."""
    keep: list[pytest.Item] = []
    empty: list[pytest.Item] = []
    for item in items:
        if _builtin_suite(item) is not None and _nothing_configured(item):
            empty.append(item)
            continue
        marker = next((m for m in item.iter_markers() if m.name in TIERS), None)
        if marker is not None:
            item.user_properties.append(("priority", marker.name))
        keep.append(item)
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = keep
        kinds = [getattr(item, "originalname", item.name).removeprefix("test_") for item in empty]
        config.stash[_unconfigured_key] = kinds


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    """Say what pytest's "N deselected" is: built-in check kinds with nothing configured."""
    kinds = config.stash.get(_unconfigured_key, [])
    if not kinds:
        return []
    return [
        f"deploy-gate: {len(kinds)} deselected = built-in check kinds with nothing configured "
        f"({', '.join(kinds)}); they are neither tests nor skips"
    ]


def _nothing_configured(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is None or NOTHING_CONFIGURED in callspec.params.values()


def _builtin_suite(item: pytest.Item) -> str | None:
    """`smoke`/`e2e` for the functions of the built-in check modules, else None."""
    if not isinstance(item, pytest.Function):
        return None
    suite = getattr(item.module, "GATE_SUITE", None)
    if not isinstance(suite, str) or not Path(str(item.path)).is_relative_to(CHECKS_DIR):
        return None
    return suite


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    builtin = _rename_builtin(item, report)
    if _config_key not in item.config.stash:
        return report  # not a gate run (no --gate-* option, no gate fixture): leave it alone
    redact = _redactor(item.config)
    if builtin and report.failed and _is_assertion(call):
        # A built-in check's assertion message is the whole story; its traceback is noise.
        assert call.excinfo is not None
        message = redact(str(call.excinfo.value))
        crash = _Crash(str(item.path), 0, message)
        report.longrepr = RedactedRepr(message, crash)  # type: ignore[assignment]
    elif report.longrepr is not None:
        report.longrepr = _redact_longrepr(report.longrepr, redact)
    if report.sections:
        report.sections = [(title, redact(text)) for title, text in report.sections]
    retries = item.stash.get(_retries_key, [])
    if retries and report.when == "call":
        report.gate_retries = list(retries)  # type: ignore[attr-defined]
        if report.passed:
            _mark_flaky(item.config, report, retries)
    return report


def _redact_longrepr(longrepr: Any, redact: Redactor) -> Any:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        path, line, reason = longrepr
        return (path, line, redact(str(reason)))
    text = str(longrepr)
    if redact(text) == text:
        return longrepr  # nothing to hide: keep pytest's own (coloured) representation
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        crash = _Crash(str(crash.path), int(crash.lineno), redact(str(crash.message)))
    return RedactedRepr(redact(text), crash)


@dataclass(frozen=True)
class _Crash:
    """What JUnit writers and the terminal read from a failure (`reprcrash`)."""

    path: str
    lineno: int
    message: str


@dataclass(frozen=True)
class RedactedRepr:
    """A failure representation with secrets masked, keeping the short crash message that
    becomes the JUnit `message` attribute."""

    text: str
    reprcrash: _Crash | None

    def __str__(self) -> str:
        return self.text

    def toterminal(self, out: Any) -> None:
        for line in self.text.splitlines():
            out.line(line)


def _is_assertion(call: pytest.CallInfo[None]) -> bool:
    return call.excinfo is not None and call.excinfo.errisinstance(AssertionError)


def _rename_builtin(item: pytest.Item, report: pytest.TestReport) -> bool:
    """Built-in checks get stable, readable JUnit identities (`smoke.http` /
    `GET /health -> 200`) instead of a site-packages path that differs on every machine."""
    suite = _builtin_suite(item)
    if suite is None or not isinstance(item, pytest.Function):
        _rename_bundled(item, report)
        return False
    kind = item.originalname.removeprefix("test_")
    label = item.callspec.id if hasattr(item, "callspec") else item.name
    report.nodeid = f"{suite}.{kind}::{label.replace('::', ': ')}"
    item.config.stash.setdefault(_renamed_key, set()).add(report.nodeid)
    return True


def _rename_bundled(item: pytest.Item, report: pytest.TestReport) -> None:
    """Tests shipped inside the package (the demo's E2E tests) are named by their module
    (`gate.demo.e2e.test_jobs`), not by where pip happened to install them."""
    module = getattr(item, "module", None)
    if module is None or not Path(str(item.path)).is_relative_to(PACKAGE_DIR):
        return
    _, _, rest = report.nodeid.partition("::")
    if rest:
        report.nodeid = f"{module.__name__}::{rest}"
        item.config.stash.setdefault(_renamed_key, set()).add(report.nodeid)


def _mark_flaky(config: pytest.Config, report: pytest.TestReport, retries: list[str]) -> None:
    """A pass that needed a network retry is flaky: a Surefire-style `<flakyFailure>` in the
    testcase, which the JUnit reader folds into `flaky` (docs/design.md, verdicts)."""
    xml = config.stash.get(xml_key, None)  # None when pytest runs without --junitxml
    if xml is None:
        return
    node = ET.Element("flakyFailure", message=f"passed after a network retry: {retries[0]}")
    node.text = "\n".join(retries)
    xml.node_reporter(report).append(node)


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    if getattr(report, "gate_retries", None) and report.when == "call" and report.passed:
        return "flaky", "R", "FLAKY (passed after a network retry)"
    return None
