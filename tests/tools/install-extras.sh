#!/usr/bin/env bash
# Installs what some tests need from npm and Debian. Idempotent; tests that need a tool that
# could not be installed skip with a printed reason (and .ci/run shows this script's output).
set -uo pipefail
cd "$(dirname "$0")/../.."

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
