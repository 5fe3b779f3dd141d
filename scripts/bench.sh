#!/usr/bin/env bash
# Benchmarks `wm-ethnicity validate` and `convert` against pandas on synthetic council returns
# (1,000,000 and 10,000,000 rows of NHS ethnic category codes with ~1% bad values, and a
# 2,000-row file for start-up) and prints one table with rows/s, peak RSS and the ratios.
#
#   scripts/bench.sh            the full run (builds release, installs pandas into
#                               target/bench-venv from PyPI on first use, ~10 minutes)
#   scripts/bench.sh --quick    1M and 2k files only, no pandas, one run each
#   scripts/bench.sh --peers    the convert job against Polars and DuckDB, to CSV and Parquet,
#                               and the Python API on Arrow against the CLI per core
#                               (bench_peers.py; --peers-rows N, default 10,000,000): Polars,
#                               DuckDB and the release wheel each in its own venv under target/
#
# Options: --quick, --no-pandas, --no-10m, --peers, --peers-rows N, --repeat N (best of N,
# default 3), --out DIR
# (generated files and outputs, default bench-out/). Needs the Rust toolchain, python3 and
# (optionally) /usr/bin/time. The one-thread rows run with --threads 1. Run it on an otherwise
# idle machine: a job on the second core slows the two-thread rows most.
set -euo pipefail
cd "$(dirname "$0")/.."

pandas=1
peers=0
peers_rows=10000000
ten=1
repeat=3
out=bench-out
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) pandas=0; ten=0; repeat=1 ;;
    --no-pandas) pandas=0 ;;
    --no-10m) ten=0 ;;
    --peers) peers=1 ;;
    --peers-rows) peers_rows="$2"; shift ;;
    --repeat) repeat="$2"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 2; }

# Peak RSS comes from /usr/bin/time -v; install it when missing and we may, else bench.py falls
# back to getrusage.
if [[ ! -x /usr/bin/time && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "bench: installing /usr/bin/time (apt-get install time)" >&2
  apt-get install -y -qq time >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; } ||
    echo "bench: could not install time; using getrusage for peak RSS" >&2
fi

echo "bench: cargo build --release" >&2
cargo build --release --locked --quiet
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/wm-ethnicity"

# A venv under target/ with the given packages, made once; prints its python.
venv_with() {
  local venv="$target_dir/$1" check="$2"; shift 2
  if ! "$venv/bin/python" -c "import $check" 2>/dev/null; then
    echo "bench: installing $* into $venv" >&2
    rm -rf "$venv" && python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
  fi
  echo "$(cd "$venv/bin" && pwd)/python"
}

if [[ $peers -eq 1 ]]; then
  polars=$(venv_with bench-polars-venv polars polars)
  duckdb=$(venv_with bench-duckdb-venv duckdb duckdb)
  wmpy=$(venv_with bench-wm-venv pyarrow pyarrow)
  echo "bench: building the release wheel (maturin, bindings/python)" >&2
  maturin=$(venv_with bench-maturin-venv maturin 'maturin>=1.9,<2')
  wheels="$(cd "$target_dir" && pwd)/bench-wheels"
  rm -rf "$wheels"
  (cd bindings/python && "$(dirname "$maturin")/maturin" build --quiet --release \
      -i "$wmpy" -o "$wheels" >&2)
  "$wmpy" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
      "$wheels"/wm_ethnicity-*.whl >&2
  exec python3 scripts/bench_peers.py --bin "$bin" --out "$out" --rows "$peers_rows" \
      --repeat "$repeat" --polars "$polars" --duckdb "$duckdb" --wm "$wmpy"
fi

args=(run --bin "$bin" --out "$out" --repeat "$repeat")
[[ $ten -eq 1 ]] || args+=(--no-10m)
if [[ $pandas -eq 1 ]]; then
  venv="$target_dir/bench-venv"
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import pandas' 2>/dev/null; then
    echo "bench: installing pandas into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet 'pandas>=2.2,<3'
  fi
  echo "bench: pandas $("$venv/bin/python" -c 'import pandas; print(pandas.__version__)')" >&2
  args+=(--pandas "$venv/bin/python")
fi

exec python3 scripts/bench.py "${args[@]}"
