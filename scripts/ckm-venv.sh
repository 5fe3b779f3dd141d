#!/usr/bin/env bash
# The Python environment the ons-ckm comparison test runs ONS's cell-key-perturbation package in:
# target/ckm-venv, made once and kept (the package's wheel declares no dependencies: pandas and
# numpy are installed beside it). Prints the venv's python on success.
exec bash "$(dirname "$0")/python-venv.sh" ckm-venv 'import cell_key_perturbation, pandas, numpy' \
    'cell-key-perturbation==3.1.0' pandas numpy
