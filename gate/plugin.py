"""pytest plugin (entry point `pytest11`): fixtures for users' E2E suites. Built in issue 3."""
