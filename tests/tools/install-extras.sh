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

# Real JUnit producers for tests/test_junit_npm.py: jest + jest-junit, mocha +
# mocha-junit-reporter, project-local in .cache/npm-junit (never global).
npm_junit() {
    local dir=.cache/npm-junit
    if [ -x "$dir/node_modules/.bin/jest" ] && [ -x "$dir/node_modules/.bin/mocha" ] \
        && [ -d "$dir/node_modules/jest-junit" ] && [ -d "$dir/node_modules/mocha-junit-reporter" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "install-extras: npm not found; the jest/mocha JUnit tests will skip"
        return 0
    fi
    mkdir -p "$dir"
    if ! npm install --no-audit --no-fund --silent --prefix "$dir" \
        jest@29 jest-junit@16 mocha@10 mocha-junit-reporter@2 >"$dir/install.log" 2>&1; then
        echo "install-extras: npm install of jest/mocha reporters failed (see $dir/install.log);" \
            "the jest/mocha JUnit tests will skip"
    fi
}
npm_junit
