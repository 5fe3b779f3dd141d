#!/usr/bin/env bash
# The Python environment the workbook tests read `convert --format xlsx` output in:
# target/openpyxl-venv with openpyxl 3.1.5 (what Excel users' Python reads workbooks with).
# Made once and kept. Prints the venv's python on success.
exec bash "$(dirname "$0")/python-venv.sh" openpyxl-venv \
    'import openpyxl; assert openpyxl.__version__ == "3.1.5"' \
    'openpyxl==3.1.5'
