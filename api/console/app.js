// The console's shell: hash routes to pages, the signed-in header, focus on navigation.
import { claims, clearToken, completeSignIn, getToken } from './auth.js';
import { forgetSkuNames } from './api.js';
import { errorBox, h, link, notice } from './ui.js';
import { loginPage } from './page-login.js';
import { overviewPage } from './page-overview.js';
import { errorsPage } from './page-errors.js';
import { productPage } from './page-product.js';
import { groupsPage, groupPage } from './page-groups.js';
import { editorPage } from './page-editor.js';
import { usersPage, userPage } from './page-users.js';
import { auditPage } from './page-audit.js';

const routes = [
  { re: /^\/login$/, page: loginPage, open: true, nav: '' },
  { re: /^\/?$/, page: overviewPage, nav: 'overview' },
  { re: /^\/errors$/, page: errorsPage, nav: 'errors' },
  { re: /^\/products\/([^/]+)$/, page: productPage, nav: 'overview' },
  { re: /^\/groups$/, page: groupsPage, nav: 'groups' },
  { re: /^\/groups\/([^/]+)$/, page: groupPage, nav: 'groups' },
  { re: /^\/groups\/([^/]+)\/licenses$/, page: editorPage, nav: 'groups' },
  { re: /^\/users$/, page: usersPage, nav: 'users' },
  { re: /^\/users\/([^/]+)$/, page: userPage, nav: 'users' },
  { re: /^\/audit$/, page: auditPage, nav: 'audit' },
];

const main = document.getElementById('main');
let current = null; // the page on screen: {alive, timers}
let signInError = null;
let flash = null; // a message for the next render of the page (after an action reloads it)
let rendered = 0; // the first page of a load keeps the focus where the browser put it

function sessionHeader() {
  const box = document.getElementById('session');
  const token = getToken();
  if (!token) {
    box.replaceChildren();
    return;
  }
  const c = claims(token) || {};
  const who = c.upn || c.preferred_username || c.unique_name || c.sub || c.azp || 'token';
  const perms = c.scp || (Array.isArray(c.roles) ? c.roles.join(' ') : '');
  box.replaceChildren(
    h('span', { class: 'who', title: perms ? `Permissions: ${perms}` : null }, `Signed in: ${who}`),
    h('button', {
      type: 'button',
      class: 'small',
      onclick: () => {
        clearToken();
        forgetSkuNames();
        location.hash = '#/login';
      },
    }, 'Sign out'));
}

// A 401 anywhere: the token was refused; say so above the page and offer to sign in again.
window.addEventListener('licensingd:unauthorized', (ev) => {
  const slot = document.getElementById('session-alert');
  slot.replaceChildren(h('div', { class: 'top-alert' }, errorBox(ev.detail),
    notice('warn', 'The server refused the token. ', link('#/login', 'Sign in again'), '.')));
});

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

async function render() {
  if (current) {
    current.alive = false;
    current.timers.forEach(clearTimeout);
  }
  const { path, query } = parseHash();
  let route = null;
  let params = [];
  for (const r of routes) {
    const m = path.match(r.re);
    if (m) {
      route = r;
      params = m.slice(1).map(decodeURIComponent);
      break;
    }
  }
  if (!route) {
    main.replaceChildren(h('h1', null, 'Page not found'), h('p', null, link('#/', 'Back to the licenses overview')));
    return;
  }
  if (!route.open && !getToken()) {
    sessionStorage.setItem('licensingd.returnTo', location.hash || '#/');
    location.replace('#/login');
    return;
  }
  document.getElementById('session-alert').replaceChildren();
  for (const a of document.querySelectorAll('nav a[data-nav]')) {
    if (a.dataset.nav === route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  sessionHeader();
  const ctx = {
    alive: true,
    timers: [],
    params,
    query,
    signInError,
    later(fn, ms) {
      if (this.alive) this.timers.push(setTimeout(() => this.alive && fn(), ms));
    },
    reload(message) {
      if (!this.alive) return;
      flash = message || null;
      render();
    },
  };
  signInError = null;
  current = ctx;
  main.setAttribute('aria-busy', 'true');
  main.replaceChildren(h('p', null, 'Loading...'));
  let content;
  try {
    content = await route.page(ctx);
  } catch (e) {
    content = [h('h1', null, 'Something went wrong'), errorBox(e)];
  }
  if (!ctx.alive) return;
  main.replaceChildren(...[content].flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  main.removeAttribute('aria-busy');
  const heading = main.querySelector('h1');
  if (flash && heading) heading.after(flash);
  flash = null;
  if (heading) {
    document.title = `${heading.textContent} - licensingd`;
    heading.setAttribute('tabindex', '-1');
    // After a navigation, focus goes to the new page's heading (screen readers announce it);
    // the first page of a load leaves it at the top, where Tab reaches "Skip to content".
    if (rendered > 0 && !main.contains(document.activeElement)) heading.focus({ preventScroll: true });
  }
  rendered++;
}

document.getElementById('skip').addEventListener('click', () => {
  const heading = main.querySelector('h1');
  (heading || main).focus();
});

async function start() {
  try {
    await completeSignIn();
  } catch (e) {
    signInError = e;
  }
  window.addEventListener('hashchange', render);
  render();
}

start();
