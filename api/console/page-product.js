// A product: its seats (and adding some), licensed users with each path, licensed groups, plans.
import { enc, get, patch, url } from './api.js';
import { action, badge, errorBox, field, h, link, notice, outlet, pagedTable, seats } from './ui.js';

function pathItem(p) {
  const state = p.error && p.error !== 'None' ? badge('err', p.error) : badge(p.state === 'Active' ? 'ok' : 'muted', p.state);
  return h('li', null, p.assignedByGroup
    ? ['Inherited from ', link(`#/groups/${enc(p.assignedByGroup)}`, p.groupDisplayName || p.assignedByGroup)]
    : 'Direct', ' ', state);
}

export async function productPage(ctx) {
  const skuId = ctx.params[0];
  let sku;
  try {
    sku = await get(`/v1.0/subscribedSkus/${enc(skuId)}`);
  } catch (e) {
    return [h('h1', null, 'Product'), errorBox(e), h('p', null, h('a', { href: '#/' }, 'Back to the overview'))];
  }
  const bought = sku.prepaidUnits.enabled;
  let waiting = 0;
  try {
    const o = await get('/v1.0/licensing/overview');
    waiting = ((o.products || []).find((p) => p.skuId === sku.skuId) || {}).usersInError || 0;
  } catch {
    waiting = 0; // the tables below show the API's error if it persists
  }
  const seatsInput = h('input', { type: 'number', min: 0, step: 1, value: String(bought), inputmode: 'numeric' });
  const seatsOut = outlet();
  const save = action('Save seats', async () => {
    const n = Number(seatsInput.value);
    await patch(`/v1.0/subscribedSkus/${enc(skuId)}`, { prepaidUnits: { enabled: Number.isInteger(n) ? n : seatsInput.value } });
    ctx.reload(notice('ok', `Seats set to ${n}. Users waiting for seats of ${sku.skuPartNumber} are processed again.`));
    return null;
  }, seatsOut, { primary: true });

  return [
    h('h1', null, sku.skuPartNumber),
    h('p', { class: 'sub mono' }, sku.skuId),
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('span', { class: 'n' }, String(bought)), 'seats bought'),
      h('div', { class: 'card' }, h('span', { class: 'n' }, String(sku.consumedUnits)), 'consumed'),
      h('div', { class: 'card' }, h('span', { class: 'n' }, String(Math.max(0, bought - sku.consumedUnits))), 'available')),
    seats(sku.consumedUnits, bought),
    waiting
      ? notice('warn', h('strong', null, `${waiting} user${waiting === 1 ? '' : 's'} could not get this product. `),
        link(url('#/errors', { skuId: sku.skuId }), 'See the users with errors'), '.')
      : h('p', null, link(url('#/errors', { skuId: sku.skuId }), 'Users with errors for this product')),
    h('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); save.click(); } },
      field('Seats bought', seatsInput, 'Add seats when users are waiting for licenses (CountViolation).'), save),
    seatsOut,

    h('h2', null, 'Licensed users'),
    h('p', { class: 'sub' }, 'Every user holding the product, with each way it is assigned: directly or through groups.'),
    pagedTable({
      label: 'licensed users',
      url: `/v1.0/subscribedSkus/${enc(skuId)}/licensedUsers?$top=50`,
      empty: 'No user has this product.',
      columns: [
        { title: 'User', render: (u) => [link(`#/users/${enc(u.id)}`, u.displayName), h('br'), h('span', { class: 'hint' }, u.userPrincipalName)] },
        { title: 'Assignment paths', render: (u) => h('ul', { class: 'paths' }, (u.paths || []).map(pathItem)) },
      ],
    }),

    h('h2', null, 'Licensed groups'),
    pagedTable({
      label: 'licensed groups',
      url: url('/v1.0/groups', {
        $filter: `assignedLicenses/any(x:x/skuId eq ${sku.skuId})`,
        $select: 'id,displayName,licenseProcessingState,hasMembersWithLicenseErrors',
        $top: 50,
      }),
      empty: 'No group is assigned this product.',
      columns: [
        { title: 'Group', render: (g) => link(`#/groups/${enc(g.id)}`, g.displayName) },
        { title: 'Processing', render: (g) => (g.licenseProcessingState || {}).state || '' },
        { title: 'Errors', render: (g) => (g.hasMembersWithLicenseErrors ? badge('err', 'Members with errors') : badge('ok', 'None')) },
      ],
    }),

    h('h2', null, 'Service plans'),
    h('ul', { class: 'plans' }, (sku.servicePlans || []).map((p) => h('li', { class: 'mono' }, p.servicePlanName))),
  ];
}
