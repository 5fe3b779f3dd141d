#!/usr/bin/env bash
# The browser page in headless Chromium (scripts/test_web.py): its findings, converted records and
# rejects against the command line's on every fixture, and no connection made. Installs what it
# needs when missing: Debian's chromium and chromium-driver (apt-get), Selenium in a venv under
# target/. Screenshots go to target/web/screenshots (--screenshots docs/img to update the README's).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver >/dev/null
fi
venv=target/web-venv
selenium=4.51.0
if ! "$venv/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$selenium')" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "selenium==$selenium"
fi
scripts/build-web.sh
cargo build --locked --quiet --bin wm-ethnicity
"$venv/bin/python" scripts/test_web.py "$@"
