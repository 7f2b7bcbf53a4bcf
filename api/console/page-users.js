// Users: search, and a user's licenses page with each assignment path and its state, the
// licenseDetails, direct assign/remove (Graph's synchronous errors shown in place) and reprocess.
import { enc, get, lit, post, skuName, url } from './api.js';
import { explain } from './explain.js';
import { action, badge, errorBox, field, h, link, notice, outlet, pagedTable, reprocessUser } from './ui.js';

const USER_SELECT = 'id,displayName,userPrincipalName,usageLocation,mail,assignedLicenses,licenseAssignmentStates';

export async function usersPage(ctx) {
  const q = ctx.query.get('q') || '';
  const search = h('input', { type: 'search', name: 'q', value: q, autocomplete: 'off' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Find users' },
    field('Name or user principal name starts with', search),
    h('button', { type: 'submit', class: 'primary' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = url('#/users', { q: search.value.trim() });
  });
  return [
    h('h1', null, 'Users'),
    form,
    pagedTable({
      label: 'users',
      url: url('/v1.0/users', {
        $filter: q ? `startswith(displayName,${lit(q)}) or startswith(userPrincipalName,${lit(q)})` : '',
        $select: 'id,displayName,userPrincipalName,usageLocation,assignedLicenses',
        $top: 50,
      }),
      empty: 'No user matches.',
      columns: [
        { title: 'User', render: (u) => link(`#/users/${enc(u.id)}`, u.displayName) },
        { title: 'User principal name', render: (u) => u.userPrincipalName },
        { title: 'Usage location', render: (u) => u.usageLocation || '' },
        { title: 'Licenses', num: true, render: (u) => String((u.assignedLicenses || []).length) },
      ],
    }),
  ];
}

function stateBadge(s) {
  if (s.error && s.error !== 'None') return badge('err', `${s.state}: ${s.error}`);
  return badge(s.state === 'Active' ? 'ok' : 'muted', s.state);
}

export async function userPage(ctx) {
  const id = ctx.params[0];
  let u;
  try {
    u = await get(`/v1.0/users/${enc(id)}?$select=${USER_SELECT}`);
  } catch (e) {
    return [h('h1', null, 'User'), errorBox(e), h('p', null, link('#/users', 'Back to the users'))];
  }
  const userPath = `/v1.0/users/${enc(u.id)}`;
  const topOut = outlet();
  const reprocess = action('Reprocess', async () => {
    await reprocessUser(u.id);
    ctx.reload(notice('ok', `${u.displayName} was reprocessed.`));
    return null;
  }, topOut);

  // One row per assignment path, grouped by product.
  const states = u.licenseAssignmentStates || [];
  const rows = [];
  const groupNames = new Map();
  for (const s of states) {
    const product = link(`#/products/${enc(s.skuId)}`, s.skuId);
    skuName(s.skuId).then((n) => { product.textContent = n; });
    let path;
    if (s.assignedByGroup) {
      const g = link(`#/groups/${enc(s.assignedByGroup)}`, s.assignedByGroup);
      if (!groupNames.has(s.assignedByGroup))
        groupNames.set(s.assignedByGroup, get(`/v1.0/groups/${enc(s.assignedByGroup)}?$select=id,displayName`).then((x) => x.displayName, () => null));
      groupNames.get(s.assignedByGroup).then((n) => { if (n) g.textContent = n; });
      path = ['Inherited from ', g];
    } else {
      path = 'Direct';
    }
    const out = outlet();
    const remove = s.assignedByGroup ? null : action('Remove', async () => {
      await post(`${userPath}/assignLicense`, { addLicenses: [], removeLicenses: [s.skuId] });
      ctx.reload(notice('ok', 'The direct license was removed.'));
      return null;
    }, out, { small: true });
    if (remove) remove.setAttribute('aria-label', `Remove the direct license ${s.skuId}`);
    skuName(s.skuId).then((n) => remove && remove.setAttribute('aria-label', `Remove the direct license ${n}`));
    rows.push(h('tr', null, h('td', null, product), h('td', null, path), h('td', null, stateBadge(s),
      s.error && s.error !== 'None' ? explain(s.error) : null), h('td', null, remove, out)));
  }

  // Direct assignment: the products with seats, from the overview.
  let products = [];
  try {
    products = (await get('/v1.0/licensing/overview')).products || [];
  } catch {
    products = [];
  }
  const skuSel = h('select', { required: true }, h('option', { value: '' }, 'Choose a product'),
    products.map((p) => h('option', { value: p.skuId }, `${p.skuPartNumber} (${p.seatsAvailable} available)`)));
  const assignOut = outlet();
  const assign = action('Assign', async () => {
    if (!skuSel.value) throw new Error('Choose a product to assign.');
    const name = skuSel.selectedOptions[0].textContent.replace(/ \(.*$/, '');
    await post(`${userPath}/assignLicense`, { addLicenses: [{ skuId: skuSel.value, disabledPlans: [] }], removeLicenses: [] });
    ctx.reload(notice('ok', `${name} was assigned directly.`));
    return null;
  }, assignOut, { primary: true });
  const assignForm = h('form', { class: 'toolbar', 'aria-label': 'Assign a license directly', onsubmit: (ev) => { ev.preventDefault(); assign.click(); } },
    field('Product', skuSel), assign);

  const details = h('div', null, h('p', { class: 'hint' }, 'Loading...'));
  get(`${userPath}/licenseDetails`).then((d) => {
    const list = (d.value || []).map((l) => h('details', null,
      h('summary', null, `${l.skuPartNumber} (${(l.servicePlans || []).length} service plans)`),
      h('ul', { class: 'plans' }, (l.servicePlans || []).map((p) => h('li', null,
        h('span', { class: 'mono' }, p.servicePlanName), ' ',
        badge(p.provisioningStatus === 'Success' ? 'ok' : 'muted', p.provisioningStatus))))));
    details.replaceChildren(...(list.length ? list : [h('p', { class: 'hint' }, 'The user has no license.')]));
  }, (e) => details.replaceChildren(errorBox(e)));

  return [
    h('h1', null, u.displayName),
    h('p', { class: 'sub' }, u.userPrincipalName, ' · usage location ',
      u.usageLocation || 'not set (the organization\'s applies)'),
    h('div', { class: 'toolbar' }, reprocess),
    topOut,
    h('h2', null, 'Licenses and assignment paths'),
    h('table', null,
      h('thead', null, h('tr', null, ['Product', 'Assignment path', 'State', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows.length ? rows : h('tr', { class: 'empty' }, h('td', { colspan: 4 }, 'No license is assigned to this user.')))),
    h('h2', null, 'Assign a license directly'),
    h('p', { class: 'sub' }, 'Direct assignment is checked at once: if it cannot be applied, Graph\'s error appears here and nothing changes.'),
    assignForm,
    assignOut,
    h('h2', null, 'License details'),
    details,
  ];
}
