#!/usr/bin/env bash
# The gate's environment, shared by the deploy-gate action (action.yml) and the require action
# (require/action.yml), so both install the same way and a runner that ran one reuses it:
#
#   install.sh name      outputs `key`, `venv`, `uv` (for actions/cache): the virtualenv of this
#                        action content, Python and requirements (setup/key.py)
#   install.sh install   builds $VENV when it holds no working gate (uv when it can be had,
#                        pip otherwise; uv lives in $UV_HOME), outputs `python`
#
# uv when it can be had (on PATH, or installed once from PyPI into its own small venv, cached
# with the gate's): about ten times faster than pip (bench/setup_bench.py); pip otherwise. uv is
# also installed into the gate's venv, where `gate run --requirements` finds it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need_python() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || {
    echo "::error title=deploy-gate::needs python3 >= 3.11 on PATH (actions/setup-python)"
    exit 2
  }
}

cmd_name() {
  need_python
  local key base
  key=$(python3 "$root/setup/key.py" "$root")
  base="${RUNNER_TOOL_CACHE:-$RUNNER_TEMP}/deploy-gate"
  {
    echo "key=deploy-gate-${RUNNER_OS:-Linux}-$key"
    echo "venv=$base/$key"
    echo "uv=$base/uv"
  } >> "$GITHUB_OUTPUT"
}

cmd_install() {
  : "${VENV:?set VENV (install.sh name: venv)}" "${UV_HOME:?set UV_HOME (install.sh name: uv)}"
  # Only `python -m gate` is used: a moved venv keeps a working python, not its scripts.
  if ! "$VENV/bin/python" -c 'import gate' 2>/dev/null; then
    local started tmp uv method
    started=$(date +%s)
    rm -rf "$VENV"  # absent, or left half-built by a cancelled job
    tmp="$VENV.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$(dirname "$VENV")"
    uv=$(command -v uv || true)
    if [ -z "$uv" ] && [ ! -x "$UV_HOME/bin/uv" ]; then
      { python3 -m venv "$UV_HOME" \
        && "$UV_HOME/bin/python" -m pip install --quiet --disable-pip-version-check uv; } \
        || { echo "deploy-gate: could not install uv; using pip"; rm -rf "$UV_HOME"; }
    fi
    [ -z "$uv" ] && [ -x "$UV_HOME/bin/uv" ] && uv="$UV_HOME/bin/uv"
    if [ -n "$uv" ] && "$uv" venv --quiet --python "$(command -v python3)" "$tmp" \
       && "$uv" pip install --quiet --python "$tmp/bin/python" uv "$root"; then
      method=uv
    else
      rm -rf "$tmp"
      python3 -m venv "$tmp"
      "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check "$root"
      method=pip
    fi
    # Atomic rename; if another job on this runner won the race, use its venv.
    python3 -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$tmp" "$VENV" \
      2>/dev/null || rm -rf "$tmp"
    echo "deploy-gate: installed with $method in $(( $(date +%s) - started )) s"
  fi
  echo "python=$VENV/bin/python" >> "$GITHUB_OUTPUT"
  "$VENV/bin/python" -m gate --version
}

case "${1:-}" in
  name) cmd_name ;;
  install) cmd_install ;;
  *) echo "usage: install.sh {name|install}" >&2; exit 2 ;;
esac
