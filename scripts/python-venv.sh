#!/usr/bin/env bash
# A Python venv under target/ for a test, made once and kept: scripts/python-venv.sh NAME CHECK
# PACKAGE... makes target/NAME with the packages unless its python already runs CHECK (Python
# code that fails when the venv is not as wanted). Prints the venv's python on success.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="target/$1"
check="$2"
shift 2
if ! "$venv/bin/python" -c "$check" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
fi
echo "$PWD/$venv/bin/python"
