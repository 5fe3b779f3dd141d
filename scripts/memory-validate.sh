#!/usr/bin/env bash
# Peak memory of `wm-ethnicity validate` on a large CSV return (the issue's target: a
# 1,000,000-row CSV validates in under 50 MiB). Memory must not grow with the number of rows,
# beyond what the duplicate-id check needs, so the script measures three runs:
#
#   1. streaming checks only (codes, dates), every finding written out (--format jsonl);
#   2. the same plus --id-column (the duplicate-id check: about 16 bytes per distinct id);
#   3. the text summary (first findings kept, the rest counted).
#
#   scripts/memory-validate.sh [ROWS]     default 1000000
#
# Needs python3 (standard library only, no network), the Rust toolchain and /usr/bin/time.
# The generated file (made-up ids, no personal data) goes to target/memory-validate/.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
limit_mib=50
out="${CARGO_TARGET_DIR:-target}/memory-validate"
mkdir -p "$out"
csv="$out/return-$rows.csv"

[[ -x /usr/bin/time ]] || { echo "memory-validate: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

if [[ ! -s "$csv" ]]; then
  echo "memory-validate: writing $rows rows to $csv" >&2
  python3 - "$rows" "$csv" <<'PY'
import random, sys
rows, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20261123)
codes = ["WBRI", "WIRI", "WOTH", "WROR", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "AMPK",
         "ABAN", "AOTH", "BCRB", "BAFR", "BSOM", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"]
# About 1% of values are wrong the ways council files are: lower case, a typo, an NHS code,
# an empty cell, Excel scientific notation.
bad = ["wbri", " apkn", "APNK", "J", "", "9.76631E+14"]
with open(path, "w", newline="") as f:
    f.write("UPN,Ethnicity,CensusDate,Notes\n")
    for i in range(rows):
        code = rng.choice(bad) if rng.random() < 0.01 else rng.choice(codes)
        f.write(f"A{i:012d},{code},2024-10-03,made-up record {i}\n")
PY
fi
size=$(du -h "$csv" | cut -f1)

echo "memory-validate: cargo build --release" >&2
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/wm-ethnicity"

worst=0
measure() {
  local label="$1"; shift
  local status=0
  /usr/bin/time -v "$bin" validate "$csv" --scheme dfe-cbds --column Ethnicity "$@" \
    >"$out/stdout.txt" 2>"$out/time.txt" || status=$?
  if [[ $status -gt 1 ]]; then
    echo "memory-validate: validate failed (exit $status):" >&2
    cat "$out/time.txt" >&2
    exit 2
  fi
  local kib secs
  kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt")
  local mib=$(( (kib + 1023) / 1024 ))
  (( mib > worst )) && worst=$mib
  printf '  %-44s peak RSS %4d MiB   wall %s   exit %d\n' "$label" "$mib" "$secs" "$status"
}

echo "wm-ethnicity validate, $rows rows ($size): peak resident memory (target < $limit_mib MiB)"
measure "codes and dates, every finding (jsonl)" --date-column CensusDate --format jsonl
measure "+ duplicate ids (--id-column)" --date-column CensusDate --id-column UPN --format jsonl
measure "text summary, + duplicate ids" --date-column CensusDate --id-column UPN
findings=$(wc -l <"$out/stdout.txt")
echo "  (text summary: $findings lines; command: $bin validate $csv --scheme dfe-cbds --column Ethnicity --date-column CensusDate --id-column UPN)"
if (( worst >= limit_mib )); then
  echo "memory-validate: FAIL: $worst MiB is not under $limit_mib MiB" >&2
  exit 1
fi
echo "memory-validate: ok: every run under $limit_mib MiB (worst $worst MiB)"
