"""Built-in check modules (plain pytest modules a user can read and copy) and their paths.

The runner runs the modules by file path (`gate.checks.targets`); this package only re-exports
what the runner and the plugin use.
"""

from gate.checks.targets import (
    CHECKS_DIR,
    FLOWS_MODULE,
    NOTHING_CONFIGURED,
    SMOKE_MODULE,
    pytest_targets,
)

__all__ = ["CHECKS_DIR", "FLOWS_MODULE", "NOTHING_CONFIGURED", "SMOKE_MODULE", "pytest_targets"]
