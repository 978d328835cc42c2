#!/usr/bin/env bash
# Installs what some tests need from npm and Debian. Idempotent; tests that need a tool that
# could not be installed skip with a printed reason (and .ci/run shows this script's output).
set -uo pipefail
cd "$(dirname "$0")/../.."

# Prism + GitHub's OpenAPI description, for tests/test_github_contract.py (project-local).
PRISM_DIR=.cache/prism
if [ -x "$PRISM_DIR/node_modules/.bin/prism" ] \
    && [ -f "$PRISM_DIR/node_modules/@octokit/openapi/generated/api.github.com.json" ]; then
    :
elif command -v npm >/dev/null 2>&1; then
    mkdir -p "$PRISM_DIR"
    if ! npm install --prefix "$PRISM_DIR" --no-audit --no-fund --loglevel=error \
        @stoplight/prism-cli @octokit/openapi >"$PRISM_DIR/npm.log" 2>&1; then
        echo "install-extras: npm install of prism/@octokit/openapi failed (see $PRISM_DIR/npm.log)"
    fi
else
    echo "install-extras: npm not found; the GitHub contract test (Prism) will skip"
fi

# Mermaid's parser (npm), for the summary.md chart syntax test (tests/test_reports_stress.py).
if [ ! -d tests/tools/mermaid/node_modules/mermaid ]; then
    if command -v npm >/dev/null; then
        npm install --prefix tests/tools/mermaid --no-audit --no-fund --silent >/dev/null 2>&1 \
            || echo "install-extras: npm install of mermaid failed; the chart syntax test will skip"
    else
        echo "install-extras: npm not found; the chart syntax test will skip"
    fi
fi
