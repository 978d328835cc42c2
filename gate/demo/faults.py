"""The faults the demo service can inject, each with the one symptom a gate must name.

The table is the single source for `gate demo --list-faults`, the service's `--fault` choices
and the README, so a fault cannot be added without saying what it breaks.
"""

from __future__ import annotations

from gate.errors import UsageError

FAULTS: dict[str, str] = {
    "down": "nothing listens on the port: readiness sees connection refused",
    "slow": "every HTTP response is delayed by 2 s: latency budgets are exceeded",
    "http500": "/api/jobs answers 500: creating and reading jobs fails",
    "ws1011": 'the agent WebSocket closes with 1011 "internal error" on the first message',
    "stuck": "jobs never leave `running`: lifecycle polls run into their deadline",
    "missing-event": "the agent stream leaves out `tool_completed`",
    "bad-auth": "/api/me answers 200 without a valid token: auth is not enforced",
    "skipped-tests": "/health reports features.agents=false, so the agent E2E tests skip",
    "event-leak": "agent events are sent to every user's socket: identities see each other's runs",
}

SLOW_DELAY_S = 2.0


def check_fault(name: str | None) -> str | None:
    """`name` when it is a known fault (or None); else a usage error listing the valid ones."""
    if name is None or name in FAULTS:
        return name
    valid = ", ".join(FAULTS)
    raise UsageError(
        f"unknown fault {name!r}; valid faults: {valid} (see `gate demo --list-faults`)"
    )


def describe_faults() -> str:
    """One line per fault: its name and what it breaks."""
    width = max(len(name) for name in FAULTS)
    return "\n".join(f"{name:<{width}}  {what}" for name, what in FAULTS.items())
