#!/usr/bin/env bash
# Cross-compiles the command-line tool for 64-bit Windows (x86_64-pc-windows-gnu, linked by
# Debian's mingw-w64) into target/x86_64-pc-windows-gnu/release/wm-ethnicity.exe, and prints
# its path and size. The steps, and the native build on Windows: docs/windows.md.
#
#   scripts/build-windows.sh          build (cached under target/: a second run takes seconds)
#
# Installs what is missing: the Rust target (rustup) and, as root with apt-get, the linker
# (Debian's gcc-mingw-w64-x86-64). The linker and flags are set here for this target only, not
# in a cargo config, so no other build changes. The build runs under `nice -n 10`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
linker=x86_64-w64-mingw32-gcc

rustup --quiet target add "$target"
if ! command -v "$linker" >/dev/null; then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "build-windows: $linker is missing: install Debian's gcc-mingw-w64-x86-64" >&2
        exit 2
    fi
    echo "build-windows: installing the linker (apt-get install gcc-mingw-w64-x86-64)" >&2
    apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            gcc-mingw-w64-x86-64 >/dev/null
    }
    apt_install || { apt-get update -qq && apt_install; }
fi

# The symbol table is of no use on an officer's laptop (strip); a warning here is one the
# Linux build does not see (code only Unix uses), so it fails the build as clippy would.
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER="$linker"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS="-C strip=symbols -D warnings"
nice -n 10 cargo build --locked --release --quiet --target "$target" --bin wm-ethnicity
exe="target/$target/release/wm-ethnicity.exe"
echo "$exe $(stat -c %s "$exe") bytes"
