#!/usr/bin/env bash
# The Python package and its tests (run by .ci/run): builds the wheel of bindings/python with
# maturin, installs it into target/py-venv (made once and kept: maturin, pyarrow, pytest, pandas,
# Polars, PySpark ~600 MB), runs the pytest suite (the API, errors, Arrow types, agreement with
# the CLI on every fixture, Spark on the regional sample), then installs the wheel into a fresh
# venv (target/py-fresh, remade each run) and runs the README's Python example there.
# Spark needs Java: OpenJDK 17 is installed with apt-get when `java` is missing.
#   scripts/python-test.sh            everything
#   scripts/python-test.sh -k spark   pytest arguments are passed on
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=target/py-venv
log() { echo "python-test: $*" >&2; }
SECONDS=0
if ! "$venv/bin/python" -c 'import maturin, pyarrow, pytest, pandas, polars, pyspark' 2>/dev/null; then
    log "installing maturin, pyarrow, pytest, pandas, polars and pyspark into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        'maturin>=1.9,<2' 'pyarrow>=15' pytest 'pandas<3' polars 'pyspark>=4,<5'
fi
if ! command -v java >/dev/null; then
    log "installing openjdk-17-jre-headless (PySpark needs Java)"
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
    $sudo apt-get update -qq && $sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
# The CLI the tests compare against, and the bindings' own lints.
cargo build --locked --quiet --bin wm-ethnicity
export PYO3_PYTHON="$root/$venv/bin/python"
cargo clippy --locked --quiet --no-deps -p wm-ethnicity-python --all-targets -- -D warnings
# The wheel: abi3, one for every CPython >= 3.9. --profile release makes the one to ship (and
# benchmark); the tests take the quicker dev build unless WM_WHEEL_PROFILE says otherwise.
rm -rf target/wheels
(cd bindings/python && VIRTUAL_ENV="$root/$venv" "$root/$venv/bin/maturin" build --quiet \
    --profile "${WM_WHEEL_PROFILE:-dev}" -i "$root/$venv/bin/python" -o "$root/target/wheels" >&2)
wheel=$(ls target/wheels/wm_ethnicity-*.whl)
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"
log "wheel $wheel built and installed (${SECONDS}s so far)"
export WM_CLI="$root/target/debug/wm-ethnicity"
export SPARK_LOCAL_IP=127.0.0.1
export PYSPARK_PYTHON="$root/$venv/bin/python"
export PYSPARK_DRIVER_PYTHON="$root/$venv/bin/python"
(cd bindings/python && "$root/$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@")
log "pytest done (${SECONDS}s so far)"
# A fresh venv: pip install of the wheel (pyarrow from PyPI), then the README's Python example.
fresh=target/py-fresh
rm -rf "$fresh"
python3 -m venv "$fresh"
"$fresh/bin/pip" install --quiet --disable-pip-version-check "$wheel"
"$venv/bin/python" - "$root/README.md" > target/readme-example.py <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("## In Python", 1)[1]
blocks = re.findall(r"```python\n(.*?)```", section, re.S)
if not blocks:
    sys.exit("README.md: no ```python block under '## In Python'")
print(blocks[0])
PY
(cd "$root" && "$fresh/bin/python" target/readme-example.py)
log "the README's Python example ran in a fresh venv; all done in ${SECONDS}s"
