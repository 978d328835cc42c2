#!/usr/bin/env bash
# Installs what some tests need from npm and Debian. Idempotent; tests that need a tool that
# could not be installed skip with a printed reason (and .ci/run shows this script's output).
set -uo pipefail
cd "$(dirname "$0")/../.."
echo "install-extras: nothing extra needed yet"
