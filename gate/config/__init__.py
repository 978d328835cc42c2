"""Configuration: `gate.toml` or `[tool.gate]`, validated into typed, frozen sections."""

from gate.config.loader import load_config, validate_config
from gate.config.schema import SUITES, GateConfig

__all__ = ["SUITES", "GateConfig", "load_config", "validate_config"]
