#!/usr/bin/env bash
# Budgets of the browser page beside a Pyodide page doing the same job (scripts/bench_web.py):
# download size, start-up, 2,000 / 100,000 / 1,000,000 rows validated, peak memory. Installs
# Chromium, Selenium and brotli as scripts/test-web.sh does, and Pyodide from the npm registry
# into target/bench-web (its runtime ships in the package). About 2 minutes once installed.
set -euo pipefail
cd "$(dirname "$0")/.."
web_packages="brotli==1.2.0"
. scripts/web-env.sh
pyodide=314.0.8
if [ "$(node -p "require('./target/bench-web/node_modules/pyodide/package.json').version" 2>/dev/null)" != "$pyodide" ]; then
    mkdir -p target/bench-web
    npm install --prefix target/bench-web --no-audit --no-fund --silent "pyodide@$pyodide"
fi
scripts/build-web.sh
"$web_python" scripts/bench_web.py "$@"
