"""Real servers on 127.0.0.1 for the check modules' tests (no mocked HTTP)."""
