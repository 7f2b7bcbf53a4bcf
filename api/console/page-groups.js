// Groups (all, or those with license errors) and a group's licenses page: processing state,
// assigned products, members with errors explained, reprocess buttons.
import { enc, get, lit, skuName, url } from './api.js';
import { explain } from './explain.js';
import {
  action, badge, errorBox, field, h, link, notice, outlet, pagedTable, processingLine, reprocessGroup, reprocessUser,
} from './ui.js';

const GROUP_SELECT = 'id,displayName,description,assignedLicenses,licenseProcessingState,hasMembersWithLicenseErrors';

// Product names of assignedLicenses, filled in as they are known.
function productList(licenses) {
  if (!licenses || !licenses.length) return h('span', { class: 'hint' }, 'none');
  return h('span', null, licenses.map((l, i) => {
    const a = link(`#/products/${enc(l.skuId)}`, l.skuId.slice(0, 8));
    skuName(l.skuId).then((n) => { a.textContent = n; });
    return [i ? ', ' : '', a];
  }));
}

export async function groupsPage(ctx) {
  const errorsOnly = ctx.query.get('errors') === '1';
  const q = ctx.query.get('q') || '';
  const search = h('input', { type: 'search', name: 'q', value: q, autocomplete: 'off' });
  const only = h('input', { type: 'checkbox', id: 'errors-only', checked: errorsOnly });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Find groups' },
    field('Name starts with', search),
    h('label', { class: 'check', for: 'errors-only' }, only, 'Only groups with license errors'),
    h('button', { type: 'submit', class: 'primary' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = url('#/groups', { q: search.value.trim(), errors: only.checked ? '1' : '' });
  });
  const filters = [];
  if (errorsOnly) filters.push('hasMembersWithLicenseErrors eq true');
  if (q) filters.push(`startswith(displayName,${lit(q)})`);
  return [
    h('h1', null, errorsOnly ? 'Groups with license errors' : 'Groups'),
    form,
    pagedTable({
      label: 'groups',
      url: url('/v1.0/groups', { $filter: filters.join(' and '), $select: GROUP_SELECT, $top: 50 }),
      empty: errorsOnly ? 'No group has members with license errors.' : 'No group matches.',
      columns: [
        { title: 'Group', render: (g) => link(`#/groups/${enc(g.id)}`, g.displayName) },
        { title: 'Licenses', render: (g) => productList(g.assignedLicenses) },
        { title: 'Processing', render: (g) => (g.licenseProcessingState || {}).state || '' },
        {
          title: 'Errors',
          render: (g) => (g.hasMembersWithLicenseErrors
            ? link(`#/groups/${enc(g.id)}`, badge('err', 'Members with errors'))
            : badge('ok', 'None')),
        },
      ],
    }),
  ];
}

// Polls the group until its licenses are applied; `out` shows the state as it moves.
export function watchProcessing(ctx, groupId, out, onDone) {
  const tick = async () => {
    try {
      const g = await get(`/v1.0/groups/${enc(groupId)}?$select=id,licenseProcessingState,hasMembersWithLicenseErrors`);
      const state = (g.licenseProcessingState || {}).state;
      out.replaceChildren(processingLine(state));
      if (state === 'ProcessingComplete') {
        if (onDone) onDone(g);
        return;
      }
    } catch (e) {
      out.replaceChildren(errorBox(e));
      return;
    }
    ctx.later(tick, 700);
  };
  tick();
}

export async function groupPage(ctx) {
  const id = ctx.params[0];
  let g;
  try {
    g = await get(`/v1.0/groups/${enc(id)}?$select=${GROUP_SELECT}`);
  } catch (e) {
    return [h('h1', null, 'Group'), errorBox(e)];
  }
  const state = (g.licenseProcessingState || {}).state;
  const stateOut = h('div', { 'aria-live': 'polite' }, processingLine(state));
  const actionsOut = outlet();
  let members;
  const reprocess = action('Reprocess', async () => {
    await reprocessGroup(id);
    watchProcessing(ctx, id, stateOut, () => ctx.reload(notice('ok', `${g.displayName} was reprocessed.`)));
    return notice('info', 'Reprocessing queued: every member is evaluated again.');
  }, actionsOut);
  if (state && state !== 'ProcessingComplete')
    watchProcessing(ctx, id, stateOut, () => ctx.reload());

  const licRows = (g.assignedLicenses || []).map((l) => {
    const name = link(`#/products/${enc(l.skuId)}`, l.skuId);
    skuName(l.skuId).then((n) => { name.textContent = n; });
    return h('tr', null, h('td', null, name),
      h('td', null, l.disabledPlans && l.disabledPlans.length ? `${l.disabledPlans.length} disabled` : 'all enabled'));
  });

  members = pagedTable({
    label: 'members with license errors',
    url: `/v1.0/groups/${enc(id)}/membersWithLicenseErrors?$top=50`,
    empty: 'No member has a license error from this group.',
    columns: [
      { title: 'User', render: (u) => [link(`#/users/${enc(u.id)}`, u.displayName), h('br'), h('span', { class: 'hint' }, u.userPrincipalName)] },
      {
        title: 'Errors from this group',
        render: (u) => (u.licenseAssignmentStates || [])
          .filter((s) => s.assignedByGroup === id && s.error && s.error !== 'None')
          .map((s) => {
            const product = h('span', null, s.skuId);
            skuName(s.skuId).then((n) => { product.textContent = n; });
            return h('div', null, product, ' ', badge('err', s.error), explain(s.error));
          }),
      },
      {
        title: 'Action',
        render: (u) => action('Reprocess user', async () => {
          await reprocessUser(u.id);
          await members.reload();
          return notice('ok', `${u.displayName} was reprocessed; the list shows the members still in error.`);
        }, actionsOut, { small: true }),
      },
    ],
  });

  return [
    h('h1', null, g.displayName),
    g.description ? h('p', { class: 'sub' }, g.description) : null,
    stateOut,
    g.hasMembersWithLicenseErrors
      ? notice('warn', h('strong', null, 'Some members have license assignment errors. '),
        'They are listed below with the fix for each error; ', link(url('#/errors', { groupId: id }), 'see the error messages'), '.')
      : null,
    h('div', { class: 'toolbar' }, h('a', { href: `#/groups/${enc(id)}/licenses`, class: 'button primary' }, 'Edit licenses'), reprocess),
    actionsOut,
    h('h2', null, 'Licenses'),
    h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col' }, 'Service plans'))),
      h('tbody', null, licRows.length ? licRows : h('tr', { class: 'empty' }, h('td', { colspan: 2 }, 'No license is assigned to this group.')))),
    h('h2', null, 'Members with license errors'),
    members,
  ];
}
