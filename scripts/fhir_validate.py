#!/usr/bin/env python3
# Validates FHIR R4 JSON against the R4 definitions (fhir.resources 6.4.0, FHIR 4.0.1): a
# Bundle's every entry, or one resource. Prints one line per resource ("ok ConceptMap/x" or
# "invalid ConceptMap/x: why") and exits 1 when any is invalid. Run with the venv of
# scripts/fhir-venv.sh:  python scripts/fhir_validate.py FILE
import json
import sys

import fhir.resources
from fhir.resources import construct_fhir_element

assert fhir.resources.__fhir_version__ == "4.0.1", fhir.resources.__fhir_version__

# R4 value sets the models leave to the reader (they type these elements as plain `code`).
EQUIVALENCE = {"relatedto", "equivalent", "equal", "wider", "subsumes", "narrower",
               "specializes", "inexact", "unmatched", "disjoint"}
STATUS = {"draft", "active", "retired", "unknown"}
CONTENT = {"not-present", "example", "fragment", "complete", "supplement"}


def codes_ok(r):
    """The required value sets of CodeSystem and ConceptMap, and ConceptMap's invariant cmd-1."""
    why = []
    if r["resourceType"] not in ("CodeSystem", "ConceptMap"):
        return why
    if r.get("status") not in STATUS:
        why.append(f"status {r.get('status')!r}")
    if r["resourceType"] == "CodeSystem" and r.get("content") not in CONTENT:
        why.append(f"content {r.get('content')!r}")
    for g in r.get("group", []):
        for e in g.get("element", []):
            for t in e.get("target", []):
                eq = t.get("equivalence")
                if eq not in EQUIVALENCE:
                    why.append(f"element {e.get('code')!r}: equivalence {eq!r}")
                # cmd-1: narrower and inexact need a comment saying how.
                if eq in ("narrower", "inexact") and not t.get("comment"):
                    why.append(f"element {e.get('code')!r}: {eq} without a comment (cmd-1)")
    return why


def check(r):
    name = f"{r.get('resourceType')}/{r.get('id')}"
    try:
        construct_fhir_element(r["resourceType"], r)
    except Exception as e:  # the model's own errors: structure, cardinality, types
        return f"invalid {name}: {' '.join(str(e).split())[:500]}"
    why = codes_ok(r)
    return f"invalid {name}: {'; '.join(why[:5])}" if why else f"ok {name}"


def main():
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    resources = [doc]
    bad = 0
    if doc.get("resourceType") == "Bundle":
        resources = [e["resource"] for e in doc.get("entry", [])]
        shell = dict(doc, entry=[{k: v for k, v in e.items() if k != "resource"} for e in doc.get("entry", [])])
        line = check(shell)
        if line.startswith("invalid"):
            bad += 1
            print(line)
    for r in resources:
        line = check(r)
        bad += line.startswith("invalid")
        print(line)
    sys.exit(1 if bad else 0)


main()
