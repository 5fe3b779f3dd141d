#!/usr/bin/env bash
# The Python environment the FHIR tests validate resources in: target/fhir-venv with
# fhir.resources 6.4.0, the release whose models are FHIR R4 (4.0.1), and pydantic 1.10 (which
# that release needs). Made once and kept. Prints the venv's python on success.
exec bash "$(dirname "$0")/python-venv.sh" fhir-venv \
    'import fhir.resources; assert fhir.resources.__fhir_version__ == "4.0.1"' \
    'fhir.resources==6.4.0' 'pydantic>=1.10,<1.11'
