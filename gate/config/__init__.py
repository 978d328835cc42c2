"""Configuration: `gate.toml` or `[tool.gate]`, validated into typed, frozen sections."""

from gate.config.loader import load_config, validate_config
from gate.config.schema import GateConfig
from gate.config.suites import SUITES, SuiteName, parse_suites

__all__ = ["SUITES", "GateConfig", "SuiteName", "load_config", "parse_suites", "validate_config"]
