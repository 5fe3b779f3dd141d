#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 60), one after the other, and prints per
# target how long it ran, how many inputs it executed and whether it found a crash.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Works on a stable toolchain: cargo-fuzz needs nightly-only compiler flags, which
# RUSTC_BOOTSTRAP=1 allows. Installs cargo-fuzz (from crates.io) when it is missing. Corpora are
# seeded from the shipped data and fixtures; they and any crash inputs stay in fuzz/corpus and
# fuzz/artifacts (ignored by git). Keep each crash input as a regression test: copy it to
# fixtures/fuzz-regressions/<target>/ (tests/suite/hardening.rs replays them).
#
# Environment: FUZZ_SANITIZER (default `none`: no AddressSanitizer, about 13 times the executions
# per second here; the crate forbids unsafe code, so ASan finds little a panic would not; set
# `address` to use it); FUZZ_JOBS sets cargo's build jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(scheme_yaml spec_yaml validate_csv convert_csv label_match synonyms_yaml open_workbook)
fi

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (cargo install cargo-fuzz)..."
    cargo install cargo-fuzz --locked
fi

sanitizer=(--sanitizer "${FUZZ_SANITIZER:-none}")
if [ -n "${FUZZ_JOBS:-}" ]; then
    export CARGO_BUILD_JOBS=$FUZZ_JOBS
fi

# Seed each corpus from what the project ships (copied only once; libFuzzer grows it after).
seed() {
    local target=$1
    shift
    local dir="fuzz/corpus/$target"
    mkdir -p "$dir"
    if [ -z "$(ls -A "$dir")" ]; then
        for f in "$@"; do
            [ -f "$f" ] && cp "$f" "$dir/$(basename "$f")"
        done
    fi
    return 0
}
# validate_csv and convert_csv read the first byte as a mode (header added or not, scheme,
# format): seeds get a mode byte in front.
seed_with_mode() {
    local target=$1 mode=$2
    shift 2
    local dir="fuzz/corpus/$target"
    mkdir -p "$dir"
    if [ -z "$(ls -A "$dir")" ]; then
        for f in "$@"; do
            if [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 65536 ]; then
                { printf "\\$(printf %03o "$mode")"; cat "$f"; } >"$dir/$(basename "$f")"
            fi
        done
    fi
    return 0
}
seed scheme_yaml schema/schemes/*.yaml fixtures/schemes/*.yaml fixtures/returns/*.yaml
seed spec_yaml fixtures/returns/*.yaml fixtures/bad/*.yaml
seed_with_mode validate_csv 0 fixtures/returns/*.csv fixtures/returns/*.tsv fixtures/returns/*.jsonl fixtures/bad/*.csv
seed_with_mode convert_csv 0 fixtures/returns/*.csv fixtures/returns/*.tsv fixtures/returns/*.jsonl fixtures/bad/*.csv
seed synonyms_yaml schema/synonyms.yaml
# open_workbook reads the first byte as the file name's extension (0 .xlsx, 1 .ods, 2 .xls, 3 .csv).
seed_with_mode open_workbook 0 fixtures/returns/*.xlsx fixtures/bad/*.xlsx
# label_match: one seed per line of the published reference lists (a code and its label).
mkdir -p fuzz/corpus/label_match
if [ -z "$(ls -A fuzz/corpus/label_match)" ]; then
    cat fixtures/reference/*.csv | awk -v d=fuzz/corpus/label_match 'NF { print > (d "/ref-" NR); close(d "/ref-" NR) }'
fi

summary=()
status=0
for t in "${targets[@]}"; do
    echo "=== $t: building"
    cargo fuzz build "${sanitizer[@]}" "$t" >/dev/null
    log="fuzz/artifacts/$t.log"
    mkdir -p "fuzz/artifacts/$t"
    echo "=== $t: running for ${seconds}s (log: $log)"
    start=$(date +%s)
    set +e
    # -rss_limit_mb: a file we read must not need more; -timeout: no input may take 10 s.
    cargo fuzz run "${sanitizer[@]}" "$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1
    rc=$?
    set -e
    took=$(($(date +%s) - start))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    if [ -z "$execs" ]; then
        execs=$(grep -o '#[0-9]*' "$log" | tail -1 | tr -d '#')
    fi
    crashes=$(find "fuzz/artifacts/$t" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l)
    if [ "$rc" -eq 0 ]; then
        found="no crash"
    else
        found="FOUND A PROBLEM (exit $rc; $crashes input(s) in fuzz/artifacts/$t; see $log)"
        status=1
    fi
    line="$t: ran ${took}s, ${execs:-?} executions, $found"
    echo "$line"
    summary+=("$line")
done

echo
echo "=== summary (${seconds}s requested per target; cwd $root)"
printf '%s\n' "${summary[@]}"
exit $status
