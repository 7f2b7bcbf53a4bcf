// Sign-in: paste a bearer token, or sign in with the OpenID Connect issuer when one is configured.
import { beginSignIn, loadConfig, setToken } from './auth.js';
import { forgetSkuNames } from './api.js';
import { errorBox, field, h, outlet } from './ui.js';

export async function loginPage(ctx) {
  const cfg = await loadConfig();
  const returnTo = sessionStorage.getItem('licensingd.returnTo') || '#/';
  const out = outlet();
  if (ctx.signInError) out.append(errorBox(ctx.signInError));

  const parts = [h('h1', null, 'Sign in'),
    h('p', { class: 'sub' }, 'The console calls the licensingd API with your token; it is kept in ' +
      'this tab only and sent as "Authorization: Bearer".'), out];

  if (cfg.oidc && cfg.oidc.issuer) {
    const host = (() => {
      try {
        return new URL(cfg.oidc.issuer).host;
      } catch {
        return cfg.oidc.issuer;
      }
    })();
    const oidcOut = outlet();
    const b = h('button', { type: 'button', class: 'primary', id: 'oidc-sign-in' }, `Sign in with ${host}`);
    b.addEventListener('click', async () => {
      b.disabled = true;
      oidcOut.replaceChildren(h('span', { class: 'hint' }, 'Contacting the issuer...'));
      try {
        await beginSignIn(cfg.oidc, returnTo);
      } catch (e) {
        oidcOut.replaceChildren(errorBox(e));
        b.disabled = false;
      }
    });
    parts.push(h('section', { 'aria-labelledby': 'oidc-h' },
      h('h2', { id: 'oidc-h' }, 'Organization account'),
      h('p', null, `OpenID Connect sign-in at ${cfg.oidc.issuer} (authorization code with PKCE).`),
      b, oidcOut), h('p', { class: 'or' }, 'or'));
  }

  const token = h('textarea', { rows: 5, required: true, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'token-hint' });
  const form = h('form', { class: 'login' },
    h('h2', null, 'Access token'),
    field('Access token', token, 'A JWT for this licensingd, for example from "licensingd token --scopes ...".'),
    h('p', null, h('button', { type: 'submit', class: 'primary' }, 'Sign in with token')));
  token.setAttribute('aria-describedby', `${token.id}-hint`);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = token.value.trim().replace(/^Bearer\s+/i, '');
    if (!value) {
      out.replaceChildren(errorBox(new Error('Paste a token first.')));
      token.focus();
      return;
    }
    if (/\s/.test(value)) {
      out.replaceChildren(errorBox(new Error('A token has no spaces or line breaks; paste it again.')));
      token.focus();
      return;
    }
    setToken(value);
    forgetSkuNames();
    sessionStorage.removeItem('licensingd.returnTo');
    location.hash = returnTo === '#/login' ? '#/' : returnTo;
  });
  parts.push(form);
  return h('div', { class: 'login' }, parts);
}
