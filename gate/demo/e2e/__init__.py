"""User-style E2E tests for the demo service: what a team writes with the gate's pytest plugin.

They run in the e2e suite next to the declarative flows (`[e2e] pytest = ["e2e"]` in the bundled
gate.toml) and use only the plugin's fixtures (`http`, `http_as`, `ws_connect`, `gate_config`)
and its priority markers `p1`..`p6`.
"""
