#!/usr/bin/env bash
# Installs what some tests need from npm and Debian. Idempotent; tests that need a tool that
# could not be installed skip with a printed reason (and .ci/run shows this script's output).
set -uo pipefail
cd "$(dirname "$0")/../.."

# Mermaid's parser (npm), for the summary.md chart syntax test (tests/test_reports_stress.py).
if [ ! -d tests/tools/mermaid/node_modules/mermaid ]; then
    if command -v npm >/dev/null; then
        npm install --prefix tests/tools/mermaid --no-audit --no-fund --silent >/dev/null 2>&1 \
            || echo "install-extras: npm install of mermaid failed; the chart syntax test will skip"
    else
        echo "install-extras: npm not found; the chart syntax test will skip"
    fi
fi
