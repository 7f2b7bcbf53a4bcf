// Calls the licensingd /v1.0/ API as any Graph client does: bearer token, JSON, Graph errors.
import { getToken } from './auth.js';

// An error answered by the API (or the network), carrying Graph's code and message.
export class GraphError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId || '';
  }
}

// nextLinks are absolute and built from the server's idea of its URL; the console always talks to
// the origin that served it, so only the path and query are kept.
function local(path) {
  const u = new URL(path, location.origin);
  return u.pathname + u.search;
}

export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(local(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new GraphError(0, 'NetworkError', `licensingd could not be reached (${e.message}).`);
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const e = (json && json.error) || {};
    const err = new GraphError(res.status, e.code || `HTTP ${res.status}`,
      e.message || text || res.statusText,
      (e.innerError && e.innerError['request-id']) || res.headers.get('request-id'));
    if (res.status === 401)
      window.dispatchEvent(new CustomEvent('licensingd:unauthorized', { detail: err }));
    throw err;
  }
  return { status: res.status, json, headers: res.headers };
}

export async function get(path) {
  return (await call('GET', path)).json;
}

export const post = (path, body) => call('POST', path, body);
export const patch = (path, body) => call('PATCH', path, body);

// One page of a collection: its items and the link to the next page (null on the last).
export async function page(path) {
  const j = await get(path);
  return { items: (j && j.value) || [], next: (j && j['@odata.nextLink']) || null };
}

// path?name=value&..., skipping empty values; names are written as given ($filter stays $filter).
export function url(path, params = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') parts.push(`${k}=${encodeURIComponent(v)}`);
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

// An OData string literal: quotes doubled.
export function lit(text) {
  return `'${String(text).replace(/'/g, "''")}'`;
}

export const enc = encodeURIComponent;

// Names of products by skuId, from the overview (every product with seats) and, for the rest,
// one lookup each; shared by every page.
const skuNames = new Map();
let skuNamesLoaded = null;

export async function skuName(skuId) {
  if (!skuNamesLoaded) {
    skuNamesLoaded = get('/v1.0/licensing/overview')
      .then((o) => (o.products || []).forEach((p) => skuNames.set(p.skuId, p.skuPartNumber)))
      .catch(() => {});
  }
  await skuNamesLoaded;
  if (!skuNames.has(skuId)) {
    try {
      const s = await get(`/v1.0/subscribedSkus/${enc(skuId)}?$select=skuId,skuPartNumber`);
      skuNames.set(skuId, s.skuPartNumber);
    } catch {
      return skuId;
    }
  }
  return skuNames.get(skuId);
}

export function forgetSkuNames() {
  skuNames.clear();
  skuNamesLoaded = null;
}
