#!/usr/bin/env bash
# Benchmarks `wm-ethnicity validate` on FHIR input: a synthetic bulk export of N Patients
# (NDJSON, default 200,000; each with a name, a birth date and the UK Core EthnicCategory
# extension, England, Wales, the retired 2-character system and SNOMED CT codings mixed) and a
# CSV of the same codings, and prints records/s and peak RSS for each.
#   scripts/bench-fhir.sh [N]
# Builds the release binary first. Needs python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200000}"
out=bench-out/fhir
mkdir -p "$out"
cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/wm-ethnicity"
python3 - "$n" "$out" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
ext = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
systems = [("https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", "ABCDHJKMNRSZ"),
           ("https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryWales", "ABDHJT"),
           ("https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory", ["CA", "LB", "PA"]),
           ("http://snomed.info/sct", ["976631000000101", "92651000000105", "88934004"])]
with open(f"{out}/patients.ndjson", "w") as f, open(f"{out}/patients.csv", "w") as c:
    c.write("id,ethnic_category_system,ethnic_category_code\n")
    for i in range(n):
        system, codes = systems[i % 4]
        code = codes[(i // 4) % len(codes)]
        p = {"resourceType": "Patient", "id": f"p{i}", "name": [{"family": "Example", "given": ["Pat"]}],
             "birthDate": "1980-01-01",
             "extension": [{"url": ext, "valueCodeableConcept": {"coding": [{"system": system, "code": code}]}}]}
        f.write(json.dumps(p) + "\n")
        c.write(f"p{i},{system},{code}\n")
PY
for f in patients.ndjson patients.csv; do
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$out/rss" "$bin" validate "$out/$f" --column ethnic_category_code \
    --scheme-column ethnic_category_system --id-column id --format json --output "$out/report.json" --force \
    >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'{sys.argv[3]:16} {int(sys.argv[4]):>9} records  {s:6.2f} s  {int(sys.argv[4])/s:>10,.0f} records/s  peak RSS {int(sys.argv[5])/1024:.1f} MiB')" \
    "$start" "$end" "$f" "$n" "$(cat "$out/rss")"
done
