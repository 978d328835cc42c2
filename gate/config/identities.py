"""Every `identity` a check or flow step names must be one of `[auth.identities]`.

Checked once, when the configuration is validated (`GateConfig`'s model validator), so a typo
is exit 2 before anything waits for the target, whichever suites run. Each problem is one line
that starts with the key (`key 'smoke.http[0].identity' ...`), for the loader to list.
"""

from __future__ import annotations

from collections.abc import Collection

from gate.config.checks import SmokeConfig
from gate.config.flows import Flow
from gate.config.keys import positions


def identity_problems(
    known: Collection[str], smoke: SmokeConfig | None, flows: list[Flow]
) -> list[str]:
    """One line per identity used but not configured, naming the key (and flow and step)."""
    have = ", ".join(sorted(known)) or "none configured"
    missing = f"which is not in [auth.identities] ({have})"
    problems = []
    if smoke is not None:
        used = [(f"http[{i}]", c.identity) for i, c in enumerate(smoke.http)]
        used += [(f"websocket[{i}]", c.identity) for i, c in enumerate(smoke.websocket)]
        used += [(f"rate_limit[{i}]", c.identity) for i, c in enumerate(smoke.rate_limit)]
        for where, name in used:
            if name is not None and name not in known:
                key = f"smoke.{where}.identity"
                problems.append(f"key '{key}' uses identity '{name}', {missing}{positions(key)}")
    for f_index, flow in enumerate(flows):
        for s_index, step in enumerate(flow.steps):
            for name in [step.identity, *step.identities]:
                if name is not None and name not in known:
                    key = f"e2e.flows[{f_index}].steps[{s_index}]"
                    problems.append(
                        f"key '{key}': flow '{flow.name}', step {s_index + 1} "
                        f"('{step.label(s_index)}') uses identity '{name}', {missing}"
                        + positions(key)
                    )
    return problems
