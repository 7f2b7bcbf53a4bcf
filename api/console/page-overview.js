// Licenses overview: seats per product, users in error by type, groups still processing, the
// last completed reconciliation (GET /v1.0/subscribedSkus and /v1.0/licensing/overview).
import { enc, get } from './api.js';
import { errorTitle } from './explain.js';
import { bar, errorBox, h, link, notice, pagedTable, seats, when } from './ui.js';

export async function overviewPage() {
  const parts = [h('h1', null, 'Licenses overview')];
  let o = null;
  try {
    o = await get('/v1.0/licensing/overview');
  } catch (e) {
    parts.push(errorBox(e));
  }
  const byProduct = new Map(((o && o.products) || []).map((p) => [p.skuId, p]));

  if (o) {
    if (o.groupsInError > 0)
      parts.push(notice('warn', h('strong', null, `${o.groupsInError} group${o.groupsInError === 1 ? ' has' : 's have'} members with license errors. `),
        link('#/groups?errors=1', 'See the groups with errors'), '.'));
    else parts.push(notice('ok', 'No group has members with license errors.'));

    parts.push(h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('span', { class: 'n' }, String(o.usersInError)), 'users with license errors'),
      h('div', { class: 'card' }, h('span', { class: 'n' }, String(o.groupsInError)), 'groups with license errors'),
      h('div', { class: 'card' }, h('span', { class: 'n' }, String((o.groupsProcessing || []).length)), 'groups still processing'),
      h('div', { class: 'card' }, h('span', { class: 'n' }, String((o.products || []).length)), 'products with seats')));
  }

  if (o) {
    parts.push(h('h2', null, 'Users in error by type'));
    const rows = (o.errorsByCode || []).map((e) => h('tr', null,
      h('td', null, link(`#/errors?error=${enc(e.error)}`, errorTitle(e.error)), ' ', h('span', { class: 'mono' }, `(${e.error})`)),
      h('td', { class: 'num' }, String(e.users)),
      h('td', { class: 'num' }, String(e.groups))));
    parts.push(h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Error'), h('th', { scope: 'col', class: 'num' }, 'Users'),
        h('th', { scope: 'col', class: 'num' }, 'Groups'))),
      h('tbody', null, rows.length ? rows : h('tr', { class: 'empty' }, h('td', { colspan: 3 }, 'No user has a license error.')))));

    parts.push(h('h2', null, 'Groups still processing'));
    const processing = o.groupsProcessing || [];
    if (!processing.length) parts.push(h('p', null, 'Latest license changes have been applied to all users of every group.'));
    else
      parts.push(h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Group'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Members processed'))),
        h('tbody', null, processing.map((g) => h('tr', null,
          h('td', null, link(`#/groups/${enc(g.groupId)}`, g.displayName)),
          h('td', null, g.state),
          h('td', null, h('div', { class: 'seats' },
            bar(g.membersDone, g.membersTotal, `${g.membersDone} of ${g.membersTotal} members processed`, 'progress'),
            h('span', { class: 'txt' }, `${g.membersDone} / ${g.membersTotal}`))))))));

    parts.push(h('p', { class: 'hint' }, 'Last completed reconciliation: ',
      o.lastCompletedReconciliationDateTime ? when(o.lastCompletedReconciliationDateTime) : 'none yet'));
  }

  parts.push(h('h2', { id: 'products-h' }, 'Products'));
  parts.push(pagedTable({
    label: 'products',
    url: '/v1.0/subscribedSkus?$select=skuId,skuPartNumber,consumedUnits,prepaidUnits,capabilityStatus', // whole, as in Graph
    empty: 'No products yet: import a catalog or load the demo.',
    columns: [
      { title: 'Product', render: (s) => link(`#/products/${enc(s.skuId)}`, s.skuPartNumber) },
      { title: 'Seats consumed / bought', render: (s) => seats(s.consumedUnits, s.prepaidUnits.enabled) },
      { title: 'Available', num: true, render: (s) => String(Math.max(0, s.prepaidUnits.enabled - s.consumedUnits)) },
      {
        title: 'Users in error',
        num: true,
        render: (s) => {
          const n = (byProduct.get(s.skuId) || {}).usersInError || 0;
          return n ? link(`#/errors?skuId=${enc(s.skuId)}`, String(n)) : '0';
        },
      },
      { title: 'Status', render: (s) => s.capabilityStatus },
    ],
  }));

  return parts;
}
