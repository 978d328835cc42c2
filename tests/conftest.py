"""Shared pytest configuration. Fixture groups live in their own modules, loaded as plugins."""

pytest_plugins = ["github_fixtures"]
