// The page's worker: runs the core (WebAssembly) on the chosen file, reading it slice by slice
// with FileReaderSync, so a large file is never in memory whole. Output (findings, converted
// records, rejects) arrives from the core in pieces and is kept as Blobs, which the browser may
// hold outside the page's memory. See bindings/wasm/src/abi.rs for the interface.
'use strict';
let wasmModule = null;
let instance = null;
let file = null;
let parts = {};
let memoryBytes = 0;
const reader = new FileReaderSync();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const STREAMS = { 1: 'findings', 2: 'records', 3: 'rejects' };

function memory() {
  return instance.exports.memory.buffer;
}

const imports = {
  env: {
    wm_file_read(pos, ptr, len) {
      if (!file) return -1;
      try {
        const end = Math.min(pos + len, file.size);
        if (end <= pos) return 0;
        const bytes = new Uint8Array(reader.readAsArrayBuffer(file.slice(pos, end)));
        new Uint8Array(memory(), ptr, bytes.length).set(bytes);
        return bytes.length;
      } catch (e) {
        return -1;
      }
    },
    wm_out(stream, ptr, len) {
      (parts[stream] ||= []).push(new Blob([new Uint8Array(memory(), ptr, len)]));
    },
    wm_progress(done, total) {
      postMessage({ type: 'progress', done, total });
    },
  },
};

// wasm-bindgen is linked into the module (the zip reader depends on getrandom, which uses it in
// browsers) but none of its functions can be reached from the core's exports: its few imports
// get functions that fail loudly if that ever changes. scripts/build_web.py refuses a module
// with any other import.
function placeholders() {
  for (const imp of WebAssembly.Module.imports(wasmModule)) {
    if (imp.module === 'env') continue;
    (imports[imp.module] ||= {})[imp.name] = () => {
      throw new Error('the module called ' + imp.module + '.' + imp.name + ', which the page does not provide');
    };
  }
}

// One request to the core, on a fresh instance: its memory is given back after each job, and
// a job that traps cannot leave a broken instance behind.
function call(request) {
  instance = new WebAssembly.Instance(wasmModule, imports);
  try {
    const e = instance.exports;
    const bytes = encoder.encode(JSON.stringify(request));
    const ptr = e.wm_input(bytes.length);
    new Uint8Array(memory(), ptr, bytes.length).set(bytes);
    e.wm_run();
    return JSON.parse(decoder.decode(new Uint8Array(memory(), e.wm_output_ptr(), e.wm_output_len())));
  } catch (err) {
    return { ok: false, error: 'the checker stopped on this file (' + err.message + '): please report it, with the command line\'s answer on the same file' };
  } finally {
    memoryBytes = instance.exports.memory.buffer.byteLength;
    instance = null;
  }
}

onmessage = (msg) => {
  const m = msg.data;
  if (m.type === 'init') {
    wasmModule = m.module;
    placeholders();
    postMessage({ type: 'ready', info: call({ job: 'info' }) });
    return;
  }
  if (m.type === 'job') {
    file = m.file;
    parts = {};
    const t0 = performance.now();
    const answer = call(Object.assign(file ? { name: file.name, size: file.size } : {}, m.request));
    const ms = performance.now() - t0;
    const outputs = {};
    for (const [id, name] of Object.entries(STREAMS)) {
      if (parts[id]) outputs[name] = new Blob(parts[id], { type: 'text/csv' });
    }
    parts = {};
    file = null;
    postMessage({ type: 'done', id: m.id, answer, outputs, ms, memory: memoryBytes });
  }
};
