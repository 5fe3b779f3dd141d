#!/usr/bin/env bash
# The Python environment the ons-ckm comparison test runs ONS's cell-key-perturbation package in:
# target/ckm-venv, made once and kept (the package's wheel declares no dependencies: pandas and
# numpy are installed beside it). Prints the venv's python on success.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/ckm-venv
if ! "$venv/bin/python" -c 'import cell_key_perturbation, pandas, numpy' 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        'cell-key-perturbation==3.1.0' pandas numpy >&2
fi
echo "$PWD/$venv/bin/python"
