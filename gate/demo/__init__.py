"""The bundled demo service (`gate.demo.service`) and `launch`, which runs it for `gate demo`.

`launch(fault=None, token=...)` (in `gate.demo.launcher`) starts the service on a free loopback
port and yields its URL; `FAULTS` are the faults it can be started with.
"""

from gate.demo.faults import FAULTS, describe_faults
from gate.demo.launcher import BUNDLED_CONFIG, launch
from gate.errors import DemoError

__all__ = ["BUNDLED_CONFIG", "FAULTS", "DemoError", "describe_faults", "launch"]
