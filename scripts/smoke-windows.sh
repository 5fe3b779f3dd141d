#!/usr/bin/env bash
# Smoke test of the Windows executable: runs wm-ethnicity.exe under Wine and the Linux binary on
# the same shipped files, and fails unless both give the same exit code, the same stdout and
# stderr, and the same output files, byte for byte.
#
#   scripts/smoke-windows.sh          build (scripts/build-windows.sh), then compare
#
# The cases: `--version`; `validate` on every fixture of fixtures/returns (its file and flags from
# its .expected.json), as text and as JSON; the README's `convert` commands and HTML report; a
# findings workbook (compared part by part, its two timestamps blanked); and `validate` given
# its file as Windows writes a path (fixtures\returns\...), where only that path may differ.
# An I/O error's operating-system words differ by platform and are set aside (see run below).
#
# Installs what is missing, as root with apt-get: Debian's wine64. The Wine prefix is kept in
# target/wine-prefix. Every output goes to a temporary folder, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/build-windows.sh >&2
exe=$root/target/x86_64-pc-windows-gnu/release/wm-ethnicity.exe
cargo build --locked --quiet --bin wm-ethnicity
linux=$root/target/debug/wm-ethnicity

# Debian's wine64 package puts the loader in /usr/lib/wine (the `wine` package adds /usr/bin/wine).
find_wine() {
    command -v wine64 || { [[ -x /usr/lib/wine/wine64 ]] && echo /usr/lib/wine/wine64; } ||
        command -v wine
}
if ! wine=$(find_wine); then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "smoke-windows: Wine is missing: install Debian's wine64" >&2
        exit 2
    fi
    echo "smoke-windows: installing Wine (apt-get install wine64)" >&2
    apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 >/dev/null
    }
    apt_install || { apt-get update -qq && apt_install; }
    wine=$(find_wine)
fi

# No dialogs (Mono, Gecko), no debug chatter on stderr: stderr is compared too.
export WINEPREFIX=$root/target/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# One Wine server for every case (`-p`: it stays up between them; a run then takes tens of
# milliseconds, not a second or more), started before the prefix is made and stopped at the
# end, with the temporary folder. When a server already serves the prefix, -p refuses and the
# runs use that one (slower when it is not persistent); it is not stopped.
wineserver=$(command -v wineserver || echo "$(dirname "$wine")/wineserver")
work=$(mktemp -d)
mkdir -p "$WINEPREFIX"
if "$wineserver" -p 2>/dev/null; then
    trap 'rm -rf "$work"; "$wineserver" -k 2>/dev/null || true' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
system32=$WINEPREFIX/drive_c/windows/system32
if [[ ! -d $system32 ]]; then
    echo "smoke-windows: making the Wine prefix $WINEPREFIX" >&2
    "$wine" wineboot --init >/dev/null 2>&1 || true
    [[ -d $system32 ]] || { echo "smoke-windows: $wine could not make $WINEPREFIX" >&2; exit 2; }
fi
# Rust's standard library (1.78 and later) takes its random numbers from ProcessPrng in
# bcryptprimitives.dll, which every Windows 10 and 11 has and Debian 12's Wine 8.0 lacks (a
# Wine that has it puts it in system32 when the prefix is made). For Wine alone, not for the
# .exe: a stand-in DLL in the prefix's system32, built here with mingw-w64, that answers with
# RtlGenRandom (advapi32).
if [[ ! -e $system32/bcryptprimitives.dll ]]; then
    echo "smoke-windows: this Wine has no bcryptprimitives.dll: putting a stand-in in $system32" >&2
    shim=$(mktemp -d)
    cat >"$shim/bcryptprimitives.c" <<'C'
#include <windows.h>
#include <ntsecapi.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
C
    x86_64-w64-mingw32-gcc -shared -O2 -s -o "$system32/bcryptprimitives.dll" \
        "$shim/bcryptprimitives.c" -ladvapi32
    rm -rf "$shim"
fi

failed=0
cases=0

# run NAME SIDE ARGS...: one binary in its own folder, where fixtures/ is the clone's and the
# files of fixtures/returns are at hand too (a fixture's flags name its spec and scheme files
# from there, as tests/suite/validate.rs runs them).
run() {
    local name=$1 side=$2
    shift 2
    local dir=$work/$name/$side
    mkdir -p "$dir/out/target"
    ln -s "$root/fixtures" "$root"/fixtures/returns/* "$dir/out/"
    local rc=0
    if [[ $side == linux ]]; then
        (cd "$dir/out" && "$linux" "$@" >"$dir/stdout" 2>"$dir/stderr") || rc=$?
    else
        (cd "$dir/out" && "$wine" "$exe" "$@" >"$dir/stdout" 2>"$dir/stderr") || rc=$?
    fi
    echo "$rc" >"$dir/exit"
    find "$dir/out" -maxdepth 1 -type l -delete
    # An I/O error ends with the operating system's own words for it ("No such file or
    # directory" on Linux, "File not found." under Wine, "The system cannot find the file
    # specified." on Windows): only those words are set aside, the file and the error number
    # are compared.
    sed -i -E 's/: [^:]*\((os error [0-9]+)\)$/: (\1)/' "$dir/stderr"
    # A workbook holds the time it was written (docProps/core.xml, and each zip entry's date):
    # two runs on one machine differ there too. It is compared as its unpacked parts, with the
    # two dates of core.xml blanked.
    find "$dir/out" -name '*.xlsx' -exec python3 -c 'import os, re, sys, zipfile
book = sys.argv[1]
with zipfile.ZipFile(book) as z:
    for part in z.namelist():
        data = z.read(part)
        if part == "docProps/core.xml":
            data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\1", data)
        out = book + ".parts/" + part
        os.makedirs(os.path.dirname(out), exist_ok=True)
        open(out, "wb").write(data)
os.remove(book)' {} \;
}

# same NAME ARGS...: the Linux binary and the .exe on the same arguments, compared. With
# WINDOWS_PATH=... set, the .exe is given that path in place of the argument PATH_ARG=... names,
# and that one string is put back in its outputs before comparing.
same() {
    local name=$1
    shift
    cases=$((cases + 1))
    run "$name" linux "$@"
    local args=("$@")
    if [[ -n ${WINDOWS_PATH:-} ]]; then
        for i in "${!args[@]}"; do
            [[ ${args[$i]} == "$PATH_ARG" ]] && args[i]=$WINDOWS_PATH
        done
    fi
    run "$name" windows "${args[@]}"
    local l=$work/$name/linux w=$work/$name/windows
    if [[ -n ${WINDOWS_PATH:-} ]]; then
        local f
        for f in "$w/stdout" "$w/stderr"; do
            # As given, and as JSON writes it (each backslash doubled).
            python3 -c 'import sys
path, windows, linux = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
data = open(path, "rb").read()
data = data.replace(windows.replace(b"\\", b"\\\\"), linux).replace(windows, linux)
open(path, "wb").write(data)' "$f" "$WINDOWS_PATH" "$PATH_ARG"
        done
    fi
    if ! diff -r "$l" "$w" >"$work/$name.diff"; then
        failed=$((failed + 1))
        echo "smoke-windows: DIFFERS: $name (wm-ethnicity ${*})" >&2
        head -n 20 "$work/$name.diff" >&2
    fi
}

same version --version
for case in fixtures/returns/*.expected.json; do
    name=$(basename "$case" .expected.json)
    mapfile -t args < <(python3 -c 'import json, sys
case = json.load(open(sys.argv[1]))
print("fixtures/returns/" + case["file"])
print("\n".join(case["args"]))' "$case")
    same "validate-$name" validate "${args[@]}"
    same "validate-$name-json" validate "${args[@]}" --format json
done
same convert-regional convert fixtures/regional/returns.csv --council-column council \
    --dataset-column dataset --column ethnicity --output target/regional.csv --force
same convert-nhs convert fixtures/samples/nhs-register.csv --scheme nhs-ethnic-category \
    --column ethnicity --output converted.csv --rejects rejects.csv
same convert-labels convert fixtures/regional/legacy-free-text.csv --scheme ons-2001-ew --by label \
    --column ethnicity_text --output labels.jsonl
same validate-html validate fixtures/returns/dfe-census-good.csv --scheme dfe-cbds --column Ethnicity \
    --council Sandwell --format html --output report.html
same validate-xlsx validate fixtures/returns/dfe-census-bad.csv --scheme dfe-cbds --column Ethnicity \
    --id-column UPN --format xlsx --output findings.xlsx
PATH_ARG=fixtures/returns/dfe-census-bad.csv WINDOWS_PATH='fixtures\returns\dfe-census-bad.csv' \
    same validate-windows-path-text validate fixtures/returns/dfe-census-bad.csv --scheme dfe-cbds \
    --column Ethnicity --id-column UPN
PATH_ARG=fixtures/returns/dfe-census-bad.csv WINDOWS_PATH='fixtures\returns\dfe-census-bad.csv' \
    same validate-windows-path-json validate fixtures/returns/dfe-census-bad.csv --scheme dfe-cbds \
    --column Ethnicity --id-column UPN --format json

if [[ $failed -gt 0 ]]; then
    echo "smoke-windows: $failed of $cases cases differ between Linux and Windows (Wine)" >&2
    exit 1
fi
echo "smoke-windows: $cases cases, the same output on Linux and on Windows ($("$wine" --version))"
