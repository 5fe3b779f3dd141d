// The page: menus, the file, the worker that runs the core, and the results (summary, findings,
// charts, downloads). Everything it shows about the file comes from the core's answer; values
// of the file are put in the page as text (textContent), never as markup.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const state = { info: null, file: null, header: null, answers: {}, outputs: {}, urls: [], jobs: 0 };
  const pending = new Map();
  window.wmTimings = {};

  function setStatus(kind, text) {
    const s = $('status');
    s.dataset.state = kind;
    s.textContent = text;
    document.body.dataset.state = kind;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function options(select, items, keep) {
    while (select.options.length > keep) select.remove(keep);
    for (const [value, label] of items) select.add(new Option(label, value));
  }

  const thousands = (n) => Number(n).toLocaleString('en-GB');
  const tenths = (x) => x.toFixed(1);
  const percent = (x) => (100 * x).toLocaleString('en-GB', { maximumFractionDigits: 1 }) + '%';

  // The worker and the core ------------------------------------------------------------------

  function decodeBase64(text) {
    const clean = text.replace(/\s+/g, '');
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(clean);
    const bin = atob(clean);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }

  let worker = null;
  function job(request) {
    const id = ++state.jobs;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ type: 'job', id, file: state.file, request });
    });
  }

  // The module is in the page gzip-compressed (a third of its size), unpacked by the browser.
  async function start() {
    const packed = new Blob([decodeBase64($('wasm').textContent)]);
    const bytes = await new Response(packed.stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
    const module = await WebAssembly.compile(bytes);
    const src = new Blob([$('worker-src').textContent], { type: 'text/javascript' });
    worker = new Worker(URL.createObjectURL(src));
    worker.onmessage = (msg) => {
      const m = msg.data;
      if (m.type === 'ready') ready(m.info);
      else if (m.type === 'progress') progress(m.done, m.total);
      else if (m.type === 'done') {
        const resolve = pending.get(m.id);
        pending.delete(m.id);
        resolve(m);
      }
    };
    worker.onerror = (e) => setStatus('error', 'The checker could not start: ' + e.message);
    worker.postMessage({ type: 'init', module });
  }

  function ready(info) {
    if (!info.ok) {
      setStatus('error', 'The checker could not start: ' + info.error);
      return;
    }
    state.info = info;
    $('v-standard').textContent = info.standard_version;
    $('v-tool').textContent = info.version;
    options($('council'), info.councils.map((c) => [c.code, c.name]), 1);
    options($('policy'), info.policies.map((p) => [p.name, p.name + ': ' + p.help]), 0);
    schemeMenus(info.schemes);
    window.wmTimings.ready = performance.now();
    setStatus('ready', 'Ready: choose a file.');
  }

  // Local schemes: the menu of schemes gets theirs (the core reads the files).
  async function schemeFilesChanged() {
    setStatus('running', 'Reading the local schemes…');
    const m = await job(Object.assign({ job: 'info' }, await yamlFiles(), { spec: null }));
    if (!m.answer.ok) {
      setStatus('error', m.answer.error);
      return;
    }
    schemeMenus(m.answer.schemes);
    setStatus('ready', state.header ? 'Ready: check the choices, then “Check and convert”.' : 'Ready: choose a file.');
  }

  // The menus of schemes (the file's scheme, and the one to express records in), keeping the
  // choices that still exist.
  function schemeMenus(schemes) {
    for (const [id, fallback, keep] of [['scheme', 'detect', 2], ['to-scheme', '', 1]]) {
      const chosen = $(id).value;
      options($(id), schemes.map((s) => [s.id, s.id + ': ' + s.name]), keep);
      $(id).value = [...$(id).options].some((o) => o.value === chosen) ? chosen : fallback;
    }
  }

  function progress(done, total) {
    if (!total) return;
    const s = $('status');
    s.textContent = 'Reading… ';
    s.append(el('progress', { max: total, value: done }));
  }

  // Choosing the file and what it holds -------------------------------------------------------

  async function choose(file) {
    state.file = file;
    $('file-info').textContent = file.name + ' (' + thousands(file.size) + ' bytes)';
    await readHeader();
  }

  async function readHeader(sheet) {
    setStatus('running', 'Reading the header…');
    const m = await job(sheet ? { job: 'header', sheet } : { job: 'header' });
    const a = m.answer;
    if (!a.ok) {
      state.header = null;
      $('run').disabled = true;
      setStatus('error', a.error);
      return;
    }
    state.header = a;
    const cols = a.header.map((h) => [h, h]);
    options($('column'), cols, 0);
    for (const id of ['id-column', 'date-column', 'council-column', 'dataset-column']) options($(id), cols, 1);
    options($('sheet'), (a.sheets || []).map((s) => [s, s]), 0);
    $('sheet').disabled = !(a.sheets && a.sheets.length > 1);
    if (a.sheet) $('sheet').value = a.sheet;
    for (const s of document.querySelectorAll('#characteristics .ch-column')) {
      const chosen = s.value;
      options(s, cols, 0);
      if (a.header.includes(chosen)) s.value = chosen;
    }
    const guess = a.header.find((h) => /ethnic/i.test(h));
    if (guess) $('column').value = guess;
    $('run').disabled = false;
    $('add-characteristic').disabled = false;
    setStatus('ready', 'Ready: check the choices, then “Check and convert”.');
  }

  function councilChanged() {
    const c = state.info.councils.find((x) => x.code === $('council').value);
    options($('dataset'), c ? c.returns.map((r) => [r.dataset, r.dataset + ' (' + r.scheme + ')']) : [], 1);
    $('dataset').options[0].text = c ? '(choose)' : '(choose a council first)';
  }

  function datasetChanged() {
    const c = state.info.councils.find((x) => x.code === $('council').value);
    const r = c && c.returns.find((x) => x.dataset === $('dataset').value);
    if (r) $('scheme').value = r.scheme;
  }

  // A characteristic column: the column, its classification and, for dates of birth, the date
  // ages are taken on (--characteristic COLUMN=SCHEME[@DATE]).
  function addCharacteristic() {
    const column = el('select', { class: 'ch-column' });
    options(column, state.header.header.map((h) => [h, h]), 0);
    const scheme = el('select', { class: 'ch-scheme' });
    options(scheme, state.info.classifications.map((c) => [c.id, c.characteristic + ': ' + c.id]), 0);
    const date = el('input', { type: 'date', class: 'ch-date' });
    const remove = el('button', { type: 'button', class: 'secondary' }, 'Remove');
    const row = el('div', { class: 'grid characteristic' },
      el('label', {}, 'Column', column), el('label', {}, 'Classification', scheme),
      el('label', {}, 'Ages on (dates of birth only)', date), el('div', {}, remove));
    remove.addEventListener('click', () => row.remove());
    $('characteristics').append(row);
    return row;
  }

  function characteristicFlags() {
    return [...document.querySelectorAll('#characteristics .characteristic')].map((row) => {
      const v = (c) => row.querySelector(c).value;
      return v('.ch-column') + '=' + v('.ch-scheme') + (v('.ch-date') ? '@' + v('.ch-date') : '');
    });
  }

  async function yamlFiles() {
    const spec = $('spec').files[0];
    const schemes = [];
    for (const f of $('scheme-files').files) schemes.push({ name: f.name, text: await f.text() });
    return { spec: spec ? { name: spec.name, text: await spec.text() } : null, scheme_files: schemes };
  }

  // The request, as the command line's flags
  async function request() {
    const r = await yamlFiles();
    const value = (id) => $(id).value || null;
    if (state.header.sheets && state.header.sheets.length) r.sheet = value('sheet');
    r.council = value('council');
    r.dataset = value('dataset');
    r.id_column = value('id-column');
    r.date_column = value('date-column');
    r.policy = value('policy');
    r.to_scheme = value('to-scheme');
    r.characteristics = characteristicFlags();
    if (r.spec) return r;
    r.column = value('column');
    r.by = value('by');
    if (value('council-column') && value('dataset-column')) {
      r.council_column = value('council-column');
      r.dataset_column = value('dataset-column');
    } else if (value('scheme') !== 'detect') {
      r.scheme = value('scheme');
    }
    return r;
  }

  // Running the checks ------------------------------------------------------------------------

  async function run() {
    $('run').disabled = true;
    for (const u of state.urls) URL.revokeObjectURL(u);
    state.urls = [];
    state.answers = {};
    state.outputs = {};
    $('error').hidden = true;
    try {
      const r = await request();
      let detected = null;
      if (!r.spec && !r.scheme && !r.council_column) {
        setStatus('running', 'Detecting the scheme…');
        const d = await job(Object.assign({}, r, { job: 'detect' }));
        if (!d.answer.ok) return failed(d.answer.error);
        detected = d.answer.detection;
        const best = detected.candidates[0];
        if (!best) return failed('No coding scheme explains the values of column `' + r.column + '`: choose the scheme.');
        r.scheme = best.scheme;
        r.by = best.by;
        $('scheme').value = best.scheme;
        $('by').value = best.by;
      }
      setStatus('running', 'Checking…');
      const v = await job(Object.assign({}, r, { job: 'validate' }));
      window.wmTimings.validate_ms = v.ms;
      window.wmTimings.validate_memory = v.memory;
      if (!v.answer.ok) return failed(v.answer.error);
      state.answers.validate = v.answer;
      state.outputs.findings = v.outputs.findings;
      setStatus('running', 'Converting…');
      const c = await job(Object.assign({}, r, { job: 'convert' }));
      window.wmTimings.convert_ms = c.ms;
      window.wmTimings.convert_memory = c.memory;
      if (c.answer.ok) {
        state.answers.convert = c.answer;
        state.outputs.records = c.outputs.records;
        state.outputs.rejects = c.outputs.rejects;
      }
      window.wmTimings.output_bytes = Object.values(state.outputs).reduce((n, b) => n + (b ? b.size : 0), 0);
      show(r, detected, v.answer, c.answer);
      setStatus('done', 'Done: ' + thousands(v.answer.report.records) + ' records checked.');
    } finally {
      $('run').disabled = false;
    }
  }

  function failed(message) {
    $('results').hidden = false;
    $('summary').replaceChildren();
    $('profile').replaceChildren();
    $('downloads').replaceChildren();
    $('findings').tBodies[0].replaceChildren();
    $('error').hidden = false;
    $('error').textContent = message;
    setStatus('error', 'Could not check the file: see below.');
  }

  // Results -----------------------------------------------------------------------------------

  function card(id, label, value, cls) {
    return el('div', { class: 'card ' + (cls || ''), id }, el('b', {}, value), label);
  }

  function show(r, detected, v, c) {
    const rep = v.report;
    $('results').hidden = false;
    const cards = el('div', { class: 'cards' },
      card('s-records', 'records', thousands(rep.records)),
      card('s-errors', 'errors', thousands(rep.errors), 'errors'),
      card('s-queries', 'queries', thousands(rep.queries), 'queries'),
      card('s-blank', 'blank rows', thousands(rep.blank_lines)));
    if (c.ok) {
      cards.append(card('s-converted', 'converted', thousands(c.summary.converted)),
        card('s-rejected', 'rejected', thousands(c.summary.rejected)));
    }
    const facts = el('ul');
    const fact = (t) => facts.append(el('li', {}, t));
    fact('File: ' + rep.file + ' (' + rep.format + (rep.delimiter ? ', separated by ' + JSON.stringify(rep.delimiter) : '') + (rep.sheet ? ', sheet ' + rep.sheet : '') + ')');
    if (rep.encoding) fact('Encoding: ' + rep.encoding.note);
    for (const p of rep.columns) fact('Column ' + p.column + ' checked against ' + p.scheme);
    if (detected) {
      const b = detected.candidates[0];
      fact('Scheme detected: ' + b.scheme + ' by ' + b.by + ' (' + thousands(b.explained) + ' of ' + thousands(detected.values) + ' values)');
    }
    if (v.council) fact('Council: ' + v.council.name + ' (' + v.council.code + ')');
    if (rep.spec) fact('Specification: ' + rep.spec);
    for (const ch of r.characteristics) fact('Characteristic carried: ' + ch);
    if (!c.ok) fact('Not converted: ' + c.error);
    if (c.ok) fact('Rows in: ' + thousands(c.summary.rows) + ' = converted ' + thousands(c.summary.converted) + ' + rejected ' + thousands(c.summary.rejected));
    if (c.ok && r.to_scheme) fact('Also expressed in ' + r.to_scheme + ': ' + thousands(c.summary.lossy) + ' with some loss (wm_loss, wm_loss_note)');
    $('summary').replaceChildren(cards, facts);

    options($('filter-rule'), rep.rules.map((x) => [x.rule, x.rule + ' ' + x.name + ' (' + thousands(x.errors + x.queries) + ')']), 1);
    $('filter-rule').value = '';
    $('filter-severity').value = '';
    findings();
    profile(rep, v.census);
    downloads(rep.file);
  }

  function findings() {
    const v = state.answers.validate;
    if (!v) return;
    const rule = $('filter-rule').value;
    const sev = $('filter-severity').value;
    const rows = v.findings.filter((f) => (!rule || f.rule === rule) && (!sev || f.severity === sev));
    const body = el('tbody');
    for (const f of rows) {
      body.append(el('tr', {},
        el('td', {}, el('abbr', { title: f.name }, f.rule)),
        el('td', { class: f.severity }, f.severity),
        el('td', {}, f.row ?? ''),
        el('td', {}, f.line ?? ''),
        el('td', {}, f.column ?? ''),
        el('td', {}, f.value == null ? '' : el('code', {}, f.value)),
        el('td', {}, f.message),
        el('td', {}, f.suggestion ?? '')));
    }
    $('findings').tBodies[0].replaceWith(body);
    const total = v.report.rules
      .filter((x) => !rule || x.rule === rule)
      .reduce((n, x) => n + (sev === 'error' ? x.errors : sev === 'query' ? x.queries : x.errors + x.queries), 0);
    $('findings-note').textContent = rows.length === total
      ? thousands(total) + ' finding' + (total === 1 ? '' : 's') + '.'
      : 'Showing ' + thousands(rows.length) + ' of ' + thousands(total) + ' findings (the first ' + v.shown_per_rule + ' of each rule); the findings download has every one.';
  }

  // A horizontal bar chart as inline SVG: one bar per row, its value at the end. It scales to
  // its box (viewBox); a long label is shortened, in full in its tooltip.
  function barChart(title, rows) {
    const max = Math.max(1, ...rows.map((r) => r.value));
    const labelW = 230, barW = 220, rowH = 20, width = labelW + barW + 110, height = rows.length * rowH + 4;
    const svg = svgEl('svg', { width: '100%', viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': title });
    rows.forEach((r, i) => {
      const y = i * rowH + 2;
      const label = r.label.length > 34 ? r.label.slice(0, 33) + '…' : r.label;
      const text = svgEl('text', { x: labelW - 6, y: y + 14, 'text-anchor': 'end' }, label);
      text.append(svgEl('title', {}, r.label));
      svg.append(text);
      const w = barW * r.value / max;
      svg.append(svgEl('rect', { x: labelW, y: y + 3, height: rowH - 6, width: Math.max(r.value > 0 ? 1 : 0, w), fill: r.color || '#005a8c' }));
      svg.append(svgEl('text', { x: labelW + w + 5, y: y + 14 }, r.text ?? thousands(r.value)));
    });
    return el('figure', {}, el('figcaption', {}, title), svg);
  }

  // A column's categories beside the council's Census 2021 residents: two bars per category
  // (the shares the core computed, ColumnProfile::beside), the largest gaps listed below.
  function censusChart(p, entry) {
    const b = entry.comparison;
    const labelW = 230, barW = 220, rowH = 26, width = labelW + barW + 110, height = b.categories.length * rowH + 4;
    const title = p.column + ' beside ' + b.area_name + "'s Census 2021 residents";
    const svg = svgEl('svg', { width: '100%', viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': title });
    const max = Math.max(0.01, ...b.categories.flatMap((c) => [c.share, c.population_share]));
    const called = new Set(entry.largest_gaps.map((g) => g.category));
    b.categories.forEach((c, i) => {
      const y = i * rowH + 2;
      const label = c.label.length > 34 ? c.label.slice(0, 33) + '…' : c.label;
      const text = svgEl('text', { x: labelW - 6, y: y + 16, 'text-anchor': 'end', 'font-weight': called.has(c.category) ? '700' : '400' }, label);
      text.append(svgEl('title', {}, c.label));
      svg.append(text);
      for (const [share, color, dy] of [[c.share, '#005a8c', 3], [c.population_share, '#9a9a9a', 13]]) {
        const w = barW * share / max;
        svg.append(svgEl('rect', { x: labelW, y: y + dy, height: 9, width: Math.max(share > 0 ? 1 : 0, w), fill: color }));
        svg.append(svgEl('text', { x: labelW + w + 5, y: y + dy + 8 }, tenths(100 * share) + '%'));
      }
    });
    // As the HTML report words them (validate --format html).
    const gaps = el('ul', { class: 'gaps' }, ...entry.largest_gaps.map((g) => el('li', {},
      g.label + ': ' + tenths(100 * g.share) + '% of this column, ' + tenths(100 * g.population_share) + '% of residents (' +
      (g.gap < 0 ? '-' : '+') + tenths(Math.abs(100 * g.gap)) + ' points)')));
    const legend = el('p', { class: 'legend' }, el('span', { class: 'swatch column' }), 'share of the ' + thousands(b.placed) + ' records placed in a category',
      el('span', { class: 'swatch residents' }), 'share of usual residents (every age: a return of pupils or patients may differ for good reason)');
    return el('figure', { class: 'census' }, el('figcaption', {}, title), legend, svg,
      el('p', { class: 'legend' }, 'Largest gaps:'), gaps, el('p', { class: 'legend' }, 'Source: ' + b.source));
  }

  function profile(rep, census) {
    const charts = [];
    for (const p of rep.columns) {
      const o = p.outcomes;
      const share = (n) => thousands(n) + ' (' + percent(p.records ? n / p.records : 0) + ')';
      const rows = [
        ['detailed category', o.detailed, '#00476e'], ['category', o.category, '#2a7ab0'],
        ['group only', o.group, '#7fb2d6'], ['not stated or not known', o.residual, '#8a5a00'],
        ['empty', o.empty, '#999'], ['not valid', o.invalid, '#b00020'], ['not checked', o.not_checked, '#ccc'],
      ].map(([label, value, color]) => ({ label, value, color, text: share(value) }));
      charts.push(barChart('How finely ' + p.column + ' is coded (' + p.scheme + ')', rows));
      const cats = new Map();
      for (const n of p.nodes) {
        if (n.level === 'residual') continue;
        const label = n.level === 'group' ? n.label + ' (group only)' : n.label;
        cats.set(label, (cats.get(label) || 0) + n.count);
      }
      const top = [...cats].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([label, value]) => ({ label, value }));
      if (top.length) charts.push(barChart('Records by category in ' + p.column + (cats.size > 25 ? ' (the 25 largest)' : ''), top));
      const entry = census.find((e) => e.column === p.column);
      if (entry) charts.push(censusChart(p, entry));
    }
    if (rep.rules.length) {
      charts.push(barChart('Findings by rule', rep.rules.map((x) => ({
        label: x.rule + ' ' + x.name, value: x.errors + x.queries, color: x.errors ? '#b00020' : '#8a5a00',
        text: [[x.errors, 'error'], [x.queries, 'quer']].filter(([n]) => n)
          .map(([n, w]) => thousands(n) + ' ' + w + (w === 'error' ? (n === 1 ? '' : 's') : (n === 1 ? 'y' : 'ies'))).join(', '),
      }))));
    }
    $('profile').replaceChildren(el('div', { class: 'charts' }, ...charts));
  }

  function downloads(file) {
    const stem = file.replace(/\.[^.]*$/, '');
    const items = [
      ['findings', stem + '.findings.csv', 'Findings (CSV, as validate --format csv)'],
      ['records', stem + '.converted.csv', 'Converted records (CSV, as convert --output)'],
      ['rejects', stem + '.rejects.csv', 'Rejects (CSV, as convert --rejects)'],
    ];
    const list = [];
    for (const [kind, name, label] of items) {
      const blob = state.outputs[kind];
      if (!blob) continue;
      const url = URL.createObjectURL(blob);
      state.urls.push(url);
      list.push(el('li', {}, el('a', { href: url, download: name, id: 'dl-' + kind }, label), ' ' + name + ', ' + thousands(blob.size) + ' bytes'));
    }
    $('downloads').replaceChildren(...list);
  }

  // Wiring ------------------------------------------------------------------------------------

  $('file').addEventListener('change', () => $('file').files[0] && choose($('file').files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) choose(e.dataTransfer.files[0]);
  });
  $('council').addEventListener('change', councilChanged);
  $('dataset').addEventListener('change', datasetChanged);
  $('sheet').addEventListener('change', () => readHeader($('sheet').value));
  $('run').addEventListener('click', run);
  $('add-characteristic').addEventListener('click', addCharacteristic);
  $('scheme-files').addEventListener('change', schemeFilesChanged);
  $('filter-rule').addEventListener('change', findings);
  $('filter-severity').addEventListener('change', findings);
  window.wmViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.wmViolations.push(e.effectiveDirective + ' ' + e.blockedURI));
  start().catch((e) => setStatus('error', 'The checker could not start: ' + e.message));
})();
