#!/usr/bin/env bash
# The browser page in headless Chromium (scripts/test_web.py): its findings, converted records and
# rejects against the command line's on every fixture, and no connection made. Installs what it
# needs when missing: Debian's chromium and chromium-driver (apt-get), Selenium in a venv under
# target/. Screenshots go to target/web/screenshots (--screenshots docs/img to update the README's).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/web-env.sh
scripts/build-web.sh
cargo build --locked --quiet --bin wm-ethnicity
"$web_python" scripts/test_web.py "$@"
