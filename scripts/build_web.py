"""Puts the browser page together (scripts/build-web.sh): web/index.html with web/style.css,
web/page.js, web/worker.js and the WebAssembly module (gzip, then base64: the page unpacks it with
the browser's DecompressionStream) in it, and a
Content-Security-Policy that names the page's one script and one style by their SHA-256 hashes.

Usage: build_web.py MODULE.wasm OUT.html"""

import base64
import gzip
import hashlib
import pathlib
import re
import sys

WEB = pathlib.Path(__file__).resolve().parent.parent / "web"


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# What the module may import: the page's three functions (bindings/wasm/src/abi.rs), and the
# placeholders wasm-bindgen leaves in any module it is linked into (it comes with the zip reader's
# getrandom; none of its functions is reachable from the core's exports, and the page's worker
# gives these functions that throw).
ALLOWED_IMPORTS = {
    ("env", "wm_file_read"),
    ("env", "wm_out"),
    ("env", "wm_progress"),
    ("__wbindgen_placeholder__", "__wbindgen_describe"),
    ("__wbindgen_externref_xform__", "__wbindgen_externref_statics_end"),
    ("__wbindgen_externref_xform__", "__wbindgen_externref_table_grow"),
    ("__wbindgen_externref_xform__", "__wbindgen_externref_table_set_null"),
}


def leb128(data: bytes, i: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def imports(wasm: bytes) -> set[tuple[str, str]]:
    """The (module, name) of every function a WebAssembly module imports."""
    found, i = set(), 8
    while i < len(wasm):
        section, i = wasm[i], i + 1
        size, i = leb128(wasm, i)
        if section == 2:
            j = i
            count, j = leb128(wasm, j)
            for _ in range(count):
                names = []
                for _ in range(2):
                    n, j = leb128(wasm, j)
                    names.append(wasm[j : j + n].decode())
                    j += n
                kind, j = wasm[j], j + 1
                if kind != 0:
                    sys.exit(f"build_web.py: the module imports {names}, not a function")
                _, j = leb128(wasm, j)
                found.add(tuple(names))
        i += size
    return found


def main() -> None:
    wasm, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    unexpected = imports(wasm.read_bytes()) - ALLOWED_IMPORTS
    if unexpected:
        sys.exit(f"build_web.py: the module imports {sorted(unexpected)}, which the page does not provide")
    parts = {
        "STYLE": (WEB / "style.css").read_text(),
        "SCRIPT": (WEB / "page.js").read_text(),
        "WORKER": (WEB / "worker.js").read_text(),
        "WASM": base64.b64encode(gzip.compress(wasm.read_bytes(), 9, mtime=0)).decode(),
    }
    for name, text in parts.items():
        if re.search(r"</(script|style)", text, re.I):
            sys.exit(f"build_web.py: web/{name.lower()} holds a closing tag: it would end its element")
    # The worker's script is a data block (type text/plain) the page turns into a blob: URL; the
    # worker inherits this policy. Downloads are blob: links, which no directive governs.
    parts["CSP"] = "; ".join([
        "default-src 'none'",
        f"script-src {sha256(parts['SCRIPT'])} 'wasm-unsafe-eval'",
        f"style-src {sha256(parts['STYLE'])}",
        "worker-src blob:",
        "connect-src 'none'",
        "img-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
    ])
    page = re.sub(r"\{\{([A-Z]+)\}\}", lambda m: parts[m.group(1)], (WEB / "index.html").read_text())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    digest = hashlib.sha256(page.encode()).hexdigest()
    print(f"{out}: {len(page.encode()):,} bytes (module {wasm.stat().st_size:,} bytes), sha256 {digest}")


if __name__ == "__main__":
    main()
