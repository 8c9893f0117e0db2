// Folio review page: plain JavaScript, no dependencies, no external requests.
// It uses the public API (/v1/...) of the origin it is served from, with the
// API key the user enters. The key lives in sessionStorage (this tab only) and
// travels only in the X-API-Key header: never in a URL, never logged.
'use strict';

const KEY_STORAGE = 'folio.apiKey';
const SVG_NS = 'http://www.w3.org/2000/svg';
const POLL_MS = 1000;

// ---------------------------------------------------------------- utilities

/** Builds an element: h('a', {href: '#'}, 'text', child, ...). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'className') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

function fmtDate(s) {
  if (!s) return '';
  const d = new Date(s);
  return isNaN(d) ? s : d.toLocaleString();
}

function fmtConfidence(c) {
  return typeof c === 'number' ? (c * 100).toFixed(1) + ' %' : '';
}

function fmtValue(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Confidence band, also the box colour (see app.css). */
function band(c) {
  if (typeof c !== 'number') return 'unknown';
  return c >= 0.9 ? 'high' : c >= 0.7 ? 'medium' : 'low';
}

function statusBadge(status) {
  return h('span', { className: 'badge status-' + status }, status);
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, code, message) {
    super(code + ': ' + message);
    this.status = status;
    this.code = code;
  }
}

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

/** Calls the API with the key as a header; returns parsed JSON (or a Blob). */
async function api(path, { method = 'GET', body = null, blob = false } = {}) {
  const key = apiKey();
  if (!key) throw new ApiError(401, 'INVALID_API_KEY', 'No API key entered');
  const r = await fetch(path, {
    method,
    body,
    headers: { 'X-API-Key': key },
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  if (r.ok && blob) return r.blob();
  let j = null;
  try { j = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const e = j && j.error ? j.error : { code: 'HTTP_' + r.status, message: r.statusText };
    if (r.status === 401) forgetKey(e.message);
    throw new ApiError(r.status, e.code, e.message);
  }
  return j;
}

function errorBox(e) {
  return h('div', { className: 'error', role: 'alert' },
    e instanceof ApiError ? [h('strong', {}, e.code), ' ', e.message.replace(/^[A-Z_0-9]+: /, '')] : String(e));
}

// ---------------------------------------------------------------- session

let account = null; // GET /v1/account: {account, key: {keyId, role, profile}}

async function useKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
  account = (await api('/v1/account')).data;
}

function forgetKey(why) {
  sessionStorage.removeItem(KEY_STORAGE);
  account = null;
  stopPolling();
  showLogin(why || '');
}

function showLogin(message) {
  document.getElementById('nav').hidden = true;
  document.getElementById('view').replaceChildren();
  const form = document.getElementById('login');
  form.hidden = false;
  document.getElementById('login-error').textContent = message || '';
  document.getElementById('key').value = '';
  document.getElementById('key').focus();
}

function showApp() {
  document.getElementById('login').hidden = true;
  const nav = document.getElementById('nav');
  nav.hidden = false;
  const k = account.key;
  document.getElementById('who').textContent = `${k.keyId} · ${k.role} · ${k.profile}`;
}

// ---------------------------------------------------------------- routing

let pollTimer = null;
// Bumped on every navigation: a view whose fetch returns after the user
// moved on must not draw over the new one.
let navToken = 0;
const stale = (token) => token !== navToken;
function stopPolling() {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
}

/** Object URLs of page images of the current view, released on navigation. */
let objectUrls = [];
function releaseImages() {
  objectUrls.forEach(URL.revokeObjectURL);
  objectUrls = [];
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/documents';
  const [path, query] = raw.split('?');
  return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(query || '') };
}

async function route() {
  const token = ++navToken;
  stopPolling();
  releaseImages();
  if (!apiKey()) return showLogin();
  if (!account) {
    try { account = (await api('/v1/account')).data; } catch (e) { return showLogin(e.message); }
  }
  showApp();
  const view = document.getElementById('view');
  const { parts, params } = parseHash();
  for (const a of document.querySelectorAll('#nav a')) {
    a.toggleAttribute('aria-current', a.getAttribute('href') === '#/' + parts[0] && parts.length === 1);
  }
  if (stale(token)) return;
  if (parts[0] === 'upload') return renderUpload(view);
  if (parts[0] === 'documents' && parts[1]) return renderDocument(view, parts[1], token);
  return renderList(view, params, token);
}

// ---------------------------------------------------------------- list

async function renderList(view, params, token) {
  const status = params.get('status') || '';
  const type = params.get('documentType') || '';
  const limit = params.get('limit') || '20';
  const cursor = params.get('cursor') || '';
  // The cursors of earlier pages, to step back (kept in the hash, not the key).
  const back = params.getAll('back');

  const go = (p) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(p)) {
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
      else if (v) q.set(k, v);
    }
    location.hash = '#/documents?' + q.toString();
  };
  const filters = h('form', { className: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    go({ status: f.get('status'), documentType: f.get('documentType').trim(), limit: f.get('limit') });
  } },
  h('label', {}, 'Status ', h('select', { name: 'status' },
    ['', 'queued', 'processing', 'completed', 'failed'].map((s) => h('option', { value: s, selected: s === status }, s || 'any')))),
  h('label', {}, 'Type ', h('input', { name: 'documentType', value: type, placeholder: 'any', size: 10, list: 'types' })),
  h('label', {}, 'Per page ', h('select', { name: 'limit' },
    ['10', '20', '50', '100'].map((n) => h('option', { value: n, selected: n === limit }, n)))),
  h('button', { type: 'submit' }, 'Apply'));

  const body = h('div', { className: 'list-body' }, h('p', { className: 'muted' }, 'Loading…'));
  view.replaceChildren(h('section', { className: 'card' }, h('h2', {}, 'Documents'), filters, typesList(), body));

  const q = new URLSearchParams({ limit });
  if (status) q.set('status', status);
  if (type) q.set('documentType', type);
  if (cursor) q.set('cursor', cursor);
  let page;
  try {
    page = await api('/v1/documents?' + q.toString());
  } catch (e) {
    if (!stale(token)) body.replaceChildren(errorBox(e));
    return;
  }
  if (stale(token)) return;
  const rows = page.data.map((d) => h('tr', {},
    h('td', {}, h('a', { href: '#/documents/' + d.id }, d.fileName || d.id), h('div', { className: 'muted mono' }, d.id)),
    h('td', {}, statusBadge(d.status)),
    h('td', {}, d.documentType),
    h('td', {}, fmtDate(d.createdAt)),
    h('td', { className: 'num' }, d.pagesProcessed ?? ''),
    h('td', { className: 'num' }, fmtConfidence(d.confidence))));
  const table = rows.length
    ? h('div', { className: 'scroll' }, h('table', { className: 'docs' },
      h('thead', {}, h('tr', {}, ['File', 'Status', 'Type', 'Created', 'Pages', 'Confidence'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)))
    : h('p', { className: 'empty' }, 'No documents.');
  const pager = h('div', { className: 'pager' },
    back.length || cursor
      ? h('button', { type: 'button', onclick: () => go({ status, documentType: type, limit, cursor: back[back.length - 1] || '', back: back.slice(0, -1) }) }, '← Previous')
      : null,
    page.pagination.hasMore
      ? h('button', { type: 'button', onclick: () => go({ status, documentType: type, limit, cursor: page.pagination.nextCursor, back: [...back, cursor] }) }, 'Next →')
      : null);
  body.replaceChildren(table, pager);
}

function typesList() {
  return h('datalist', { id: 'types' }, ['invoice', 'receipt', 'generic'].map((t) => h('option', { value: t })));
}

// ---------------------------------------------------------------- upload

function renderUpload(view) {
  const input = h('input', { type: 'file', id: 'file', name: 'file', accept: '.pdf,.png,.jpg,.jpeg,.webp,.tif,.tiff', className: 'visually-hidden' });
  const chosen = h('span', { className: 'muted' }, 'No file chosen');
  let file = null;
  const pick = (f) => {
    file = f;
    chosen.textContent = f ? `${f.name} (${Math.ceil(f.size / 1024)} KB)` : 'No file chosen';
  };
  input.addEventListener('change', () => pick(input.files[0] || null));
  const drop = h('div', { className: 'drop', id: 'drop', tabindex: 0, role: 'button', 'aria-label': 'Choose a file, or drop one here',
    onclick: () => input.click(),
    onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); input.click(); } },
    ondragover: (ev) => { ev.preventDefault(); drop.classList.add('over'); },
    ondragleave: () => drop.classList.remove('over'),
    ondrop: (ev) => { ev.preventDefault(); drop.classList.remove('over'); pick(ev.dataTransfer.files[0] || null); },
  }, h('strong', {}, 'Drop a PDF or image here'), h('span', {}, 'or press to choose one'), chosen);

  const out = h('div', { role: 'status' });
  const field = (label, el, hint) => h('div', { className: 'field' }, h('label', { for: el.id }, label), el, hint ? h('small', { className: 'muted' }, hint) : null);
  const form = h('form', { className: 'card', id: 'upload', onsubmit: async (ev) => {
    ev.preventDefault();
    if (!file) { out.replaceChildren(errorBox('Choose a file first.')); return; }
    const f = new FormData(form);
    const body = new FormData();
    body.append('file', file, file.name);
    for (const k of ['documentType', 'language', 'ocrEngine', 'priority', 'webhookUrl', 'webhookSecret', 'callbackMetadata']) {
      const v = (f.get(k) || '').trim();
      if (v) body.append(k, v);
    }
    body.append('extractTables', f.get('extractTables') ? 'true' : 'false');
    out.replaceChildren(h('p', { className: 'muted' }, 'Uploading…'));
    try {
      const r = await api('/v1/documents/process/async', { method: 'POST', body });
      location.hash = '#/documents/' + r.data.id;
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  } },
  h('h2', {}, 'Upload'), input, drop,
  h('div', { className: 'grid2' },
    field('Document type', h('input', { id: 'documentType', name: 'documentType', value: 'invoice', list: 'types', required: true })),
    field('Language', h('input', { id: 'language', name: 'language', value: 'en', spellcheck: 'false' }), 'ISO 639-1, a list (de,en) or auto'),
    field('OCR engine', h('select', { id: 'ocrEngine', name: 'ocrEngine' }, ['auto', 'tesseract', 'ppocr'].map((x) => h('option', { value: x }, x)))),
    field('Priority', h('select', { id: 'priority', name: 'priority' }, ['normal', 'high'].map((x) => h('option', { value: x }, x))), 'high: paid plans'),
    field('Webhook URL', h('input', { id: 'webhookUrl', name: 'webhookUrl', type: 'url', placeholder: 'https://…' })),
    field('Webhook secret', h('input', { id: 'webhookSecret', name: 'webhookSecret', type: 'password', autocomplete: 'off' })),
    field('Callback metadata (JSON object)', h('textarea', { id: 'callbackMetadata', name: 'callbackMetadata', rows: 2, placeholder: '{"internalId": "order-12345"}' })),
    h('div', { className: 'field check' }, h('input', { id: 'extractTables', name: 'extractTables', type: 'checkbox', checked: true }), h('label', { for: 'extractTables' }, 'Extract tables'))),
  typesList(),
  h('button', { type: 'submit' }, 'Upload'), out);
  view.replaceChildren(form);
}

// ---------------------------------------------------------------- a document

async function renderDocument(view, id, token) {
  if (stale(token)) return;
  const head = h('div', {}, h('p', { className: 'muted' }, 'Loading…'));
  view.replaceChildren(h('section', { className: 'card', id: 'document' }, h('p', {}, h('a', { href: '#/documents' }, '← Documents')), head));
  let doc;
  try {
    doc = (await api('/v1/documents/' + encodeURIComponent(id))).data;
  } catch (e) {
    if (!stale(token)) head.replaceChildren(errorBox(e));
    return;
  }
  if (stale(token)) return;
  const final = doc.status === 'completed' || doc.status === 'failed';
  head.replaceChildren(
    h('h2', {}, doc.fileName || doc.id),
    h('dl', { className: 'facts' },
      h('dt', {}, 'Id'), h('dd', { className: 'mono' }, doc.id),
      h('dt', {}, 'Status'), h('dd', { id: 'doc-status' }, statusBadge(doc.status)),
      h('dt', {}, 'Type'), h('dd', {}, doc.documentType),
      h('dt', {}, 'Created'), h('dd', {}, fmtDate(doc.createdAt)),
      doc.processedAt ? [h('dt', {}, 'Processed'), h('dd', {}, fmtDate(doc.processedAt))] : null,
      doc.pagesProcessed !== undefined ? [h('dt', {}, 'Pages'), h('dd', {}, doc.pagesProcessed)] : null,
      doc.confidence !== undefined ? [h('dt', {}, 'Confidence'), h('dd', {}, fmtConfidence(doc.confidence))] : null,
      doc.metadata && doc.metadata.detectedLanguage ? [h('dt', {}, 'Language'), h('dd', {}, doc.metadata.detectedLanguage)] : null),
    ...problems(doc));
  if (!final) {
    head.append(h('p', { className: 'muted' }, 'Waiting for the result… (refreshes by itself)'));
    pollTimer = setTimeout(() => renderDocument(view, id, token), POLL_MS);
    return;
  }
  const section = view.querySelector('#document');
  const parts = [];
  if (doc.status === 'completed') parts.push(await pagesAndFields(doc));
  parts.push(await webhooksPanel(doc, token));
  if (stale(token)) return;
  section.append(...parts);
  section.append(h('details', { className: 'raw' }, h('summary', {}, 'Raw JSON'), h('pre', { id: 'raw-json' }, JSON.stringify(doc, null, 2))));
}

function problems(doc) {
  const items = [];
  if (doc.error) items.push(h('div', { className: 'error', role: 'alert', id: 'doc-error' }, h('strong', {}, doc.error.code), ' ', doc.error.message));
  if (doc.warnings && doc.warnings.length) {
    items.push(h('div', { className: 'warnings', id: 'doc-warnings' }, h('strong', {}, 'Warnings'), h('ul', {}, doc.warnings.map((w) => h('li', {}, w)))));
  }
  return items;
}

/** The page images with the field boxes, the fields panel and the values table. */
async function pagesAndFields(doc) {
  const fields = doc.fields || {};
  const data = doc.extractedData || {};
  const pagesMeta = (doc.metadata && doc.metadata.pages) || [];
  const pageCount = Math.max(doc.pagesProcessed || 0, pagesMeta.length, 1);

  // Boxes and panel rows by field name; the selection ties them together.
  const boxes = new Map(); // field name -> [svg rect]
  const rowsByName = new Map(); // field name -> panel button
  let selected = null;
  const setSelected = (name, scroll) => {
    selected = name;
    for (const rects of boxes.values()) {
      rects.forEach((r) => r.classList.toggle('selected', r.dataset.fields.split(' ').includes(selected)));
    }
    for (const [n, b] of rowsByName) b.setAttribute('aria-pressed', String(n === selected));
    if (selected && scroll === 'box' && boxes.get(selected)) boxes.get(selected)[0].scrollIntoView({ block: 'center', behavior: 'instant' });
    if (selected && scroll === 'row' && rowsByName.get(selected)) rowsByName.get(selected).scrollIntoView({ block: 'nearest', behavior: 'instant' });
  };
  // A panel row toggles its field.
  const selectRow = (name) => setSelected(selected === name ? null : name, 'box');
  // A box may hold several fields (totalAmount and amountDue often share one):
  // each click selects the next of them, and after the last, none.
  const selectBox = (names) => {
    const i = names.indexOf(selected);
    setSelected(i === -1 ? names[0] : names[i + 1] || null, 'row');
  };

  const figures = [];
  for (let n = 1; n <= pageCount; n++) {
    const meta = pagesMeta.find((p) => p.page === n) || {};
    const onPage = Object.entries(fields).filter(([, f]) => f && Array.isArray(f.bbox) && (f.page || 1) === n);
    figures.push(await pageFigure(doc, n, meta, onPage, boxes, selectBox));
  }

  const panel = h('ul', { className: 'fieldlist', id: 'fields' });
  for (const [name, value] of Object.entries(data)) {
    const f = fields[name] || {};
    const hasBox = Array.isArray(f.bbox);
    const b = h('button', { type: 'button', className: 'field-row band-' + band(f.confidence), 'data-field': name, 'aria-pressed': 'false',
      disabled: !hasBox, title: hasBox ? 'Show on the page' : 'No box on the page', onclick: () => selectRow(name) },
    h('span', { className: 'name' }, name),
    h('span', { className: 'value' }, Array.isArray(value) ? `${value.length} rows` : fmtValue(value)),
    h('span', { className: 'conf' }, fmtConfidence(f.confidence)));
    rowsByName.set(name, b);
    panel.append(h('li', {}, b));
  }

  return h('div', { className: 'review' },
    h('div', { className: 'pages' }, figures),
    h('aside', { className: 'side', 'aria-label': 'Extracted fields' },
      h('h3', {}, 'Fields'), legend(), panel,
      h('h3', {}, 'Values'), valuesTable(data, fields)));
}

function legend() {
  return h('p', { className: 'legend' },
    h('span', { className: 'swatch band-high' }), '≥ 90 %  ',
    h('span', { className: 'swatch band-medium' }), '70–90 %  ',
    h('span', { className: 'swatch band-low' }), '< 70 %');
}

/**
 * One page: its image (GET /v1/documents/{id}/pages/{n}/preview) drawn in an
 * SVG whose coordinates are the page's own (metadata.pages[].width/height:
 * the pixels the OCR read, which is what fields[].bbox is in), so every box
 * lands where the API says whatever the image's resolution or display size.
 */
async function pageFigure(doc, n, meta, onPage, boxes, selectBox) {
  const caption = h('figcaption', {}, `Page ${n}`);
  let img = null;
  let problem = null;
  try {
    const blob = await api(`/v1/documents/${encodeURIComponent(doc.id)}/pages/${n}/preview`, { blob: true });
    const url = URL.createObjectURL(blob);
    objectUrls.push(url);
    img = await loadImage(url);
  } catch (e) {
    problem = e;
  }
  const rotation = meta.rotation || 0;
  const turned = rotation === 90 || rotation === 270;
  // The upright page's size in box units; without it (older results) the
  // image's own pixels, turned as the host turned the page.
  let W = meta.width;
  let H = meta.height;
  if (!(W > 0 && H > 0) && img) {
    W = turned ? img.naturalHeight : img.naturalWidth;
    H = turned ? img.naturalWidth : img.naturalHeight;
  }
  if (!img || !(W > 0 && H > 0)) {
    const why = problem instanceof ApiError && problem.code === 'PREVIEW_NOT_AVAILABLE'
      ? 'No preview image of this page yet.' : 'The page image could not be loaded.';
    return h('figure', { className: 'page no-preview', 'data-page': n },
      h('div', { className: 'nopreview', role: 'note' }, h('strong', {}, why), problem ? h('small', {}, problem.message) : null,
        h('span', {}, `${onPage.length} field boxes on this page; the fields panel lists them.`)),
      caption);
  }
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'page-svg', role: 'img', 'aria-label': `Page ${n} with ${onPage.length} field boxes`, 'data-width': W, 'data-height': H });
  // The image as the host read it: turned upright by `rotation` clockwise.
  const iw = turned ? H : W;
  const ih = turned ? W : H;
  const place = { 0: '', 90: `translate(${W},0) rotate(90)`, 180: `translate(${W},${H}) rotate(180)`, 270: `translate(0,${H}) rotate(270)` }[rotation] || '';
  const image = svg('image', { x: 0, y: 0, width: iw, height: ih, preserveAspectRatio: 'none', href: img.src });
  if (place) image.setAttribute('transform', place);
  s.append(image);
  // One box per distinct rectangle, naming every field it holds; stroke
  // width in screen pixels whatever the scale (vector-effect).
  const groups = new Map(); // "l,t,w,h" -> {bbox, names, confidence}
  for (const [name, f] of onPage) {
    const k = f.bbox.join(',');
    if (!groups.has(k)) groups.set(k, { bbox: f.bbox, names: [], confidence: f.confidence });
    const g = groups.get(k);
    g.names.push(name);
    g.confidence = Math.max(g.confidence ?? 0, f.confidence ?? 0);
  }
  for (const g of groups.values()) {
    const [l, t, w, hgt] = g.bbox;
    const label = g.names.map((n) => `${n} (${fmtConfidence(fieldsOf(doc)[n].confidence)})`).join(', ');
    const r = svg('rect', { x: l, y: t, width: Math.max(w, 1), height: Math.max(hgt, 1), class: 'box band-' + band(g.confidence),
      'data-fields': g.names.join(' '), tabindex: 0, 'vector-effect': 'non-scaling-stroke', role: 'button', 'aria-label': label });
    const title = svg('title', {});
    title.textContent = label;
    r.append(title);
    r.addEventListener('click', () => selectBox(g.names));
    r.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); selectBox(g.names); } });
    for (const name of g.names) {
      if (!boxes.has(name)) boxes.set(name, []);
      boxes.get(name).push(r);
    }
    s.append(r);
  }
  return h('figure', { className: 'page', 'data-page': n }, s, caption);
}

function fieldsOf(doc) {
  return doc.fields || {};
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const i = new Image();
    i.onload = () => resolve(i);
    i.onerror = () => reject(new Error('The page image could not be decoded'));
    i.src = url;
  });
}

/** Scalar values in one table; arrays of objects (line items) each in their own. */
function valuesTable(data, fields) {
  const out = [];
  const scalars = Object.entries(data).filter(([, v]) => !Array.isArray(v));
  out.push(h('div', { className: 'scroll' }, h('table', { className: 'values', id: 'values' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Confidence'))),
    h('tbody', {}, scalars.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, fmtValue(v)), h('td', { className: 'num' }, fmtConfidence((fields[k] || {}).confidence))))))));
  for (const [k, v] of Object.entries(data).filter(([, v]) => Array.isArray(v))) {
    const cols = [...new Set(v.flatMap((row) => (row && typeof row === 'object' ? Object.keys(row) : ['value'])))];
    out.push(h('h4', {}, k), h('div', { className: 'scroll' }, h('table', { className: 'items', 'data-field': k },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, v.map((row) => h('tr', {}, cols.map((c) => h('td', {}, fmtValue(row && typeof row === 'object' ? row[c] : row)))))))));
  }
  return out;
}

// ---------------------------------------------------------------- webhooks

async function webhooksPanel(doc, token) {
  const box = h('section', { className: 'webhooks', id: 'webhooks', 'aria-live': 'polite' }, h('h3', {}, 'Webhook deliveries'));
  const list = h('div', {});
  const out = h('div', { role: 'status' });
  let timer = null;
  const load = async () => {
    clearTimeout(timer);
    if (stale(token)) return;
    try {
      const r = await api(`/v1/documents/${encodeURIComponent(doc.id)}/webhooks`);
      if (stale(token)) return;
      list.replaceChildren(...[deliveries(r.data.deliveries)].flat());
      // Follow deliveries still under way (attempts are seconds apart at most
      // in tests, minutes to hours in production: the user can also refresh).
      if (r.data.deliveries.some((d) => d.state === 'scheduled' || d.state === 'inFlight')) timer = setTimeout(load, 1500);
    } catch (e) {
      if (!stale(token)) list.replaceChildren(errorBox(e));
    }
  };
  const isAdmin = account && account.key.role === 'admin';
  const actions = h('div', { className: 'actions' },
    h('button', { type: 'button', id: 'refresh-webhooks', onclick: load }, 'Refresh'),
    isAdmin ? h('button', { type: 'button', id: 'redeliver', onclick: async () => {
      out.replaceChildren(h('span', { className: 'muted' }, 'Redelivering…'));
      try {
        const r = await api(`/v1/documents/${encodeURIComponent(doc.id)}/webhooks/redeliver`, { method: 'POST' });
        out.replaceChildren(h('span', { className: 'ok' }, `Redelivery started: ${r.data.deliveries.map((d) => d.deliveryId).join(', ')}`));
        await load();
      } catch (e) {
        out.replaceChildren(errorBox(e));
      }
    } }, 'Redeliver') : h('small', { className: 'muted' }, 'Redelivery needs an admin key.'));
  box.append(actions, out, list);
  await load();
  return box;
}

function deliveries(ds) {
  if (!ds.length) return h('p', { className: 'empty' }, 'No webhook deliveries for this document.');
  return ds.map((d) => h('details', { className: 'delivery', open: true, 'data-delivery': d.deliveryId },
    h('summary', {}, h('span', { className: 'badge state-' + d.state }, d.state), ' ', d.event, ' → ', h('span', { className: 'mono' }, d.url),
      d.redeliveryOf ? h('small', { className: 'muted' }, ` (redelivery of ${d.redeliveryOf})`) : null),
    h('p', { className: 'muted' }, `${d.kind} · ${d.attemptCount}/${d.maxAttempts} attempts · created ${fmtDate(d.createdAt)}`,
      d.nextAttemptAt ? ` · next ${fmtDate(d.nextAttemptAt)}` : ''),
    d.attempts.length ? h('div', { className: 'scroll' }, h('table', { className: 'attempts' },
      h('thead', {}, h('tr', {}, ['#', 'Started', 'Status', 'Duration', 'Result', 'Response'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, d.attempts.map((a) => h('tr', {},
        h('td', { className: 'num' }, a.attempt),
        h('td', {}, fmtDate(a.startedAt)),
        h('td', { className: 'num' }, a.status ?? '—'),
        h('td', { className: 'num' }, a.latencyMs + ' ms'),
        h('td', {}, a.result, a.error ? h('div', { className: 'error-text' }, a.error) : null),
        h('td', {}, h('code', { className: 'excerpt' }, (a.responseBody || '').slice(0, 200) + (a.responseTruncated || (a.responseBody || '').length > 200 ? '…' : '')))))))) : null));
}

// ---------------------------------------------------------------- start

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = document.getElementById('key');
    const key = input.value.trim();
    input.value = '';
    try {
      await useKey(key);
      route();
    } catch (e) {
      forgetKey(e.message);
    }
  });
  document.getElementById('forget').addEventListener('click', () => forgetKey('Key forgotten.'));
  window.addEventListener('hashchange', route);
  route();
});
