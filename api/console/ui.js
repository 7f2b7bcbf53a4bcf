// DOM building blocks. Text always goes in as text nodes (no innerHTML): data from the API can
// never become markup.
import { GraphError, page, post } from './api.js';

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = true;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function link(href, ...children) {
  return h('a', { href }, ...children);
}

// An API error as Graph reported it: status, code, message and request id. Never swallowed.
export function errorBox(err) {
  const e = err instanceof GraphError ? err : new GraphError(0, 'Error', String((err && err.message) || err));
  return h('div', { class: 'notice error', role: 'alert' },
    h('strong', null, e.status ? `${e.status} ${e.code}` : e.code), ': ', e.message,
    e.requestId ? h('span', { class: 'rid mono' }, `request-id ${e.requestId}`) : null);
}

export function notice(kind, ...children) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

// An empty live region that actions write their outcome into, next to the control.
export function outlet() {
  return h('div', { class: 'out', 'aria-live': 'polite' });
}

// A horizontal bar with its numbers as text for screen readers.
export function bar(value, max, label, kind) {
  const pct = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : value > 0 ? 100 : 0;
  const fill = h('span');
  fill.style.width = `${pct}%`;
  const cls = `bar${kind ? ` ${kind}` : ''}${!kind && max > 0 && value >= max ? ' full' : ''}`;
  return h('div', { class: cls, role: 'img', 'aria-label': label }, fill);
}

export function seats(consumed, bought) {
  return h('div', { class: 'seats' },
    bar(consumed, bought, `${consumed} of ${bought} seats consumed`),
    h('span', { class: 'txt' }, `${consumed} / ${bought}`));
}

export function badge(kind, text) {
  return h('span', { class: `badge ${kind}` }, text);
}

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

// A button that runs an async action once at a time; the action's result (a node) or its error
// lands in `out`.
export function action(label, run, out, { primary = false, small = false } = {}) {
  const b = h('button', { type: 'button', class: [primary && 'primary', small && 'small'].filter(Boolean).join(' ') || null }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    out.replaceChildren(h('span', { class: 'hint' }, 'Working...'));
    try {
      const result = await run();
      out.replaceChildren(...(result ? [result] : []));
    } catch (e) {
      out.replaceChildren(errorBox(e));
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

// A table over a server-paged collection: follows @odata.nextLink forward and keeps the links it
// came through to go back. columns: [{title, render(item), num}].
export function pagedTable({ caption, columns, url, empty = 'Nothing to show.', label }) {
  const tbody = h('tbody');
  const table = h('table', null, caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.title)))),
    tbody);
  const errors = h('div');
  const status = h('p', { class: 'pager-status', role: 'status' });
  const prev = h('button', { type: 'button', class: 'small', 'aria-label': `Previous page of ${label || caption || 'rows'}` }, 'Previous page');
  const next = h('button', { type: 'button', class: 'small', 'aria-label': `Next page of ${label || caption || 'rows'}` }, 'Next page');
  const box = h('div', { class: 'paged' }, errors, h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'pager' }, prev, status, next));
  const trail = [];
  let current = url;
  let nextUrl = null;

  async function load(u) {
    prev.disabled = next.disabled = true;
    status.textContent = 'Loading...';
    box.setAttribute('aria-busy', 'true');
    try {
      const pg = await page(u);
      current = u;
      nextUrl = pg.next;
      errors.replaceChildren();
      const rows = pg.items.map((item) => h('tr', null,
        columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.render(item)))));
      tbody.replaceChildren(...(rows.length ? rows
        : [h('tr', { class: 'empty' }, h('td', { colspan: columns.length }, empty))]));
      status.textContent = `Page ${trail.length + 1}, ${pg.items.length} row${pg.items.length === 1 ? '' : 's'}` +
        (nextUrl ? ', more on the next page' : '');
    } catch (e) {
      errors.replaceChildren(errorBox(e));
      tbody.replaceChildren();
      status.textContent = 'Not loaded';
    } finally {
      box.removeAttribute('aria-busy');
      prev.disabled = trail.length === 0;
      next.disabled = !nextUrl;
    }
  }
  next.addEventListener('click', () => {
    if (!nextUrl) return;
    trail.push(current);
    load(nextUrl);
  });
  prev.addEventListener('click', () => {
    if (trail.length) load(trail.pop());
  });
  box.reload = () => load(current);
  box.loaded = load(url);
  return box;
}

export function field(labelText, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, labelText),
    hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null, control);
}

// licenseProcessingState as a sentence, the portal's wording where it has one.
export function processingLine(state) {
  if (state === 'ProcessingComplete')
    return notice('ok', 'Latest license changes have been applied to all users.');
  if (state === 'QueuedForProcessing')
    return notice('info', 'License changes are queued and will be applied to all members shortly.');
  if (state === 'ProcessingInProgress')
    return notice('info', 'License changes are being applied to the members...');
  if (state === 'ProcessingFailed')
    return notice('error', 'Processing the group\'s licenses failed; reprocess the group.');
  return notice('info', `Processing state: ${state || 'unknown'}`);
}

export async function reprocessUser(id) {
  return post(`/v1.0/users/${encodeURIComponent(id)}/reprocessLicenseAssignment`);
}

export async function reprocessGroup(id) {
  return post(`/v1.0/groups/${encodeURIComponent(id)}/reprocessLicenseAssignment`);
}
