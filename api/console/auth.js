// The console's token: pasted by the admin, or obtained from an OpenID Connect issuer with the
// authorization code flow and PKCE (S256). Kept in sessionStorage: gone when the tab closes.
const TOKEN = 'licensingd.token';
const PENDING = 'licensingd.oidc';

export function getToken() {
  return sessionStorage.getItem(TOKEN) || '';
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN);
}

function b64urlDecode(part) {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function b64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// The token's claims, for display only (the server verifies tokens; the console cannot).
export function claims(token) {
  try {
    const c = JSON.parse(b64urlDecode(token.split('.')[1]));
    return c && typeof c === 'object' ? c : null;
  } catch {
    return null;
  }
}

let config = null;

// GET /admin/config.json: {oidc: null} or {oidc: {issuer, clientId, scopes}}.
export async function loadConfig() {
  if (!config) {
    try {
      const r = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
      config = r.ok ? await r.json() : { oidc: null };
    } catch {
      config = { oidc: null };
    }
  }
  return config;
}

function random(bytes) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return b64url(a);
}

export async function pkceChallenge(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(digest));
}

async function discover(issuer) {
  const where = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let r;
  try {
    r = await fetch(where, { credentials: 'omit' });
  } catch (e) {
    throw new Error(`The issuer's discovery document ${where} could not be fetched (${e.message}).`);
  }
  if (!r.ok) throw new Error(`The issuer's discovery document ${where} answered ${r.status}.`);
  const d = await r.json();
  if (!d.authorization_endpoint || !d.token_endpoint)
    throw new Error(`${where} names no authorization_endpoint or token_endpoint.`);
  return d;
}

// Sends the browser to the issuer; it comes back to /admin/?code=...&state=...
export async function beginSignIn(oidc, returnTo) {
  if (!window.isSecureContext || !crypto.subtle)
    throw new Error('Signing in with OpenID Connect needs HTTPS (or localhost): browsers offer ' +
      'the PKCE hash only to secure pages.');
  const d = await discover(oidc.issuer);
  const verifier = random(32);
  const state = random(16);
  const redirectUri = location.origin + location.pathname;
  sessionStorage.setItem(PENDING, JSON.stringify({
    verifier, state, redirectUri, tokenEndpoint: d.token_endpoint, clientId: oidc.clientId, returnTo,
  }));
  const u = new URL(d.authorization_endpoint);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', oidc.clientId);
  u.searchParams.set('redirect_uri', redirectUri);
  u.searchParams.set('scope', oidc.scopes || 'openid');
  u.searchParams.set('state', state);
  u.searchParams.set('nonce', random(16));
  u.searchParams.set('code_challenge', await pkceChallenge(verifier));
  u.searchParams.set('code_challenge_method', 'S256');
  location.assign(u.toString());
}

// On the way back from the issuer: trades the code for a token and puts the route to show in the
// address bar (without the code). Returns null when this page load is not a sign-in answer;
// throws with a message the login page shows.
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `${location.pathname}#/login`);
  if (params.has('error'))
    throw new Error(`The issuer refused the sign-in: ${params.get('error')}` +
      (params.get('error_description') ? ` (${params.get('error_description')})` : '') + '.');
  if (!pending || pending.state !== params.get('state'))
    throw new Error('This sign-in answer does not belong to a sign-in started here (state ' +
      'mismatch); sign in again.');
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: pending.redirectUri,
    client_id: pending.clientId,
    code_verifier: pending.verifier,
  });
  let r;
  try {
    r = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
      credentials: 'omit',
    });
  } catch (e) {
    throw new Error(`The token endpoint could not be reached (${e.message}).`);
  }
  const j = await r.json().catch(() => null);
  if (!r.ok || !j || !j.access_token)
    throw new Error('The token endpoint refused the code: ' +
      `${(j && (j.error_description || j.error)) || r.status}.`);
  setToken(j.access_token);
  const back = pending.returnTo && pending.returnTo !== '#/login' ? pending.returnTo : '#/';
  history.replaceState(null, '', `${location.pathname}${back}`);
  return back;
}
