// Users with license errors (GET /v1.0/licensing/errors), filtered by error, product and group,
// each with the Graph message, the document's fix and a reprocess button.
import { enc, get, url } from './api.js';
import { ERROR_CODES, errorTitle, explain } from './explain.js';
import { action, badge, field, h, link, notice, outlet, pagedTable, reprocessUser } from './ui.js';

export async function errorsPage(ctx) {
  const error = ctx.query.get('error') || '';
  const skuId = ctx.query.get('skuId') || '';
  const groupId = ctx.query.get('groupId') || '';
  let products = [];
  try {
    products = (await get('/v1.0/licensing/overview')).products || [];
  } catch {
    products = []; // the table below reports the API's error
  }

  const errSel = h('select', { name: 'error' }, h('option', { value: '' }, 'Any error'),
    ERROR_CODES.map((c) => h('option', { value: c }, `${errorTitle(c)} (${c})`)));
  errSel.value = error;
  const skuSel = h('select', { name: 'skuId' }, h('option', { value: '' }, 'Any product'),
    products.map((p) => h('option', { value: p.skuId }, p.skuPartNumber)));
  skuSel.value = skuId;
  const form = h('form', { class: 'filters', 'aria-label': 'Filter users with errors' },
    field('Error', errSel), field('Product', skuSel),
    groupId ? h('p', null, 'In group ', link(`#/groups/${enc(groupId)}`, groupId)) : null,
    h('button', { type: 'submit', class: 'primary' }, 'Apply filters'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = url('#/errors', { error: errSel.value, skuId: skuSel.value, groupId });
  });

  const done = outlet();
  const table = pagedTable({
    label: 'users with errors',
    url: url('/v1.0/licensing/errors', { error, skuId, groupId, $top: 50 }),
    empty: 'No user has a license error matching these filters.',
    columns: [
      { title: 'User', render: (e) => [link(`#/users/${enc(e.userId)}`, e.displayName), h('br'), h('span', { class: 'hint' }, e.userPrincipalName)] },
      { title: 'Product', render: (e) => link(`#/products/${enc(e.skuId)}`, e.skuPartNumber) },
      { title: 'Assigned', render: (e) => (e.assignedByGroup ? ['by group ', link(`#/groups/${enc(e.assignedByGroup)}`, e.groupDisplayName || e.assignedByGroup)] : 'directly') },
      { title: 'Error', render: (e) => [badge('err', e.error), h('p', null, e.message), explain(e.error)] },
      {
        title: 'Action',
        render: (e) => action('Reprocess user', async () => {
          await reprocessUser(e.userId);
          await table.reload();
          return notice('ok', `${e.displayName} was reprocessed; the list shows the errors that remain.`);
        }, done, { small: true }),
      },
    ],
  });
  return [h('h1', null, 'Users with license errors'),
    h('p', { class: 'sub' }, 'Every user whose license could not be applied, with the reason recorded on the user.'),
    form, done, table];
}
