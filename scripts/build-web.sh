#!/usr/bin/env bash
# Builds the browser page, target/web/wm-ethnicity.html: one file holding the core compiled to
# WebAssembly (bindings/wasm, base64), its script, worker and style, under a
# Content-Security-Policy that allows no connection (docs/web.md). Needs only the Rust toolchain
# (the wasm32 target is added with rustup when missing) and Python 3. About a minute from clean.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup --quiet target add wasm32-unknown-unknown
cargo build --locked --quiet -p wm-ethnicity-wasm --target wasm32-unknown-unknown --profile wasm
python3 scripts/build_web.py target/wasm32-unknown-unknown/wasm/wm_ethnicity_wasm.wasm \
    target/web/wm-ethnicity.html
