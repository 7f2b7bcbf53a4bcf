// A group's licenses editor: pick products, disable service plans, preview the change with
// assignLicense?dryRun=true (seats needed vs available, who would fail and why), then apply it and
// watch licenseProcessingState reach ProcessingComplete.
import { enc, get, post } from './api.js';
import { errorTitle, explain } from './explain.js';
import { errorBox, h, link, notice, outlet, pagedTable, processingLine } from './ui.js';
import { watchProcessing } from './page-groups.js';

const skus = new Map(); // skuId -> subscribedSku (with servicePlans)
const plans = new Map(); // servicePlanId -> Promise of the plan (displayName)

async function loadSku(skuId) {
  if (!skus.has(skuId)) skus.set(skuId, await get(`/v1.0/subscribedSkus/${enc(skuId)}`));
  return skus.get(skuId);
}

// The plan's display name, fetched once; a few at a time so a big product does not flood the API.
let inFlight = 0;
const waiting = [];
function planName(planId) {
  if (!plans.has(planId)) {
    plans.set(planId, new Promise((resolve) => {
      const run = () => {
        inFlight++;
        get(`/v1.0/licensing/servicePlans/${enc(planId)}`)
          .then((p) => resolve(p.displayName || ''), () => resolve(''))
          .finally(() => {
            inFlight--;
            if (waiting.length) waiting.shift()();
          });
      };
      if (inFlight < 4) run();
      else waiting.push(run);
    }));
  }
  return plans.get(planId);
}

export async function editorPage(ctx) {
  const id = ctx.params[0];
  let group;
  try {
    group = await get(`/v1.0/groups/${enc(id)}?$select=id,displayName,assignedLicenses,licenseProcessingState`);
  } catch (e) {
    return [h('h1', null, 'Edit licenses'), errorBox(e)];
  }
  const original = new Map((group.assignedLicenses || []).map((l) => [l.skuId, new Set(l.disabledPlans || [])]));
  const selected = new Map([...original].map(([k, v]) => [k, new Set(v)]));
  let previewed = null; // the request body the shown preview is for

  const plansBox = h('div');
  const previewOut = h('div', { 'aria-live': 'polite' });
  const applyOut = h('div', { 'aria-live': 'polite' });
  const previewBtn = h('button', { type: 'button', class: 'primary' }, 'Preview changes');
  const applyBtn = h('button', { type: 'button', disabled: true }, 'Apply');
  const stale = outlet();

  function body() {
    const add = [...selected].sort(([a], [b]) => a.localeCompare(b))
      .map(([skuId, disabled]) => ({ skuId, disabledPlans: [...disabled].sort() }));
    const remove = [...original.keys()].filter((k) => !selected.has(k)).sort();
    return { addLicenses: add, removeLicenses: remove };
  }

  function changed() {
    const current = JSON.stringify(body());
    applyBtn.disabled = previewed !== current;
    if (previewed && previewed !== current)
      stale.replaceChildren(notice('info', 'The selection changed since the preview: preview again before applying.'));
    else stale.replaceChildren();
  }

  async function renderPlans() {
    const boxes = [];
    for (const [skuId, disabled] of selected) {
      let sku;
      try {
        sku = await loadSku(skuId);
      } catch (e) {
        boxes.push(errorBox(e));
        continue;
      }
      const items = (sku.servicePlans || []).map((p) => {
        const cb = h('input', { type: 'checkbox', id: `plan-${skuId}-${p.servicePlanId}`, checked: !disabled.has(p.servicePlanId) });
        cb.addEventListener('change', () => {
          if (cb.checked) disabled.delete(p.servicePlanId);
          else disabled.add(p.servicePlanId);
          changed();
        });
        const nice = h('span');
        planName(p.servicePlanId).then((n) => { nice.textContent = n ? `${n} ` : ''; });
        return h('li', null, h('label', { class: 'check', for: cb.id }, cb,
          h('span', null, nice, h('span', { class: 'name mono' }, p.servicePlanName))));
      });
      boxes.push(h('fieldset', null, h('legend', null, `${sku.skuPartNumber}: service plans (clear a box to disable the plan)`),
        h('ul', { class: 'plans' }, items)));
    }
    plansBox.replaceChildren(...(boxes.length ? boxes : [h('p', { class: 'hint' }, 'No product selected: applying removes every license of the group.')]));
  }

  const products = pagedTable({
    label: 'products',
    caption: 'Products',
    url: '/v1.0/subscribedSkus?$select=skuId,skuPartNumber,consumedUnits,prepaidUnits', // whole, as in Graph
    columns: [
      {
        title: 'Assign',
        render: (s) => {
          const cb = h('input', { type: 'checkbox', id: `sku-${s.skuId}`, checked: selected.has(s.skuId), 'aria-label': `Assign ${s.skuPartNumber}` });
          cb.addEventListener('change', async () => {
            if (cb.checked) selected.set(s.skuId, new Set(original.get(s.skuId) || []));
            else selected.delete(s.skuId);
            changed();
            await renderPlans();
          });
          return cb;
        },
      },
      { title: 'Product', render: (s) => h('label', { for: `sku-${s.skuId}` }, s.skuPartNumber) },
      { title: 'Available seats', num: true, render: (s) => `${Math.max(0, s.prepaidUnits.enabled - s.consumedUnits)} of ${s.prepaidUnits.enabled}` },
    ],
  });

  previewBtn.addEventListener('click', async () => {
    const b = body();
    previewBtn.disabled = true;
    previewOut.replaceChildren(h('p', { class: 'hint' }, 'Evaluating every member...'));
    try {
      const r = (await post(`/v1.0/groups/${enc(id)}/assignLicense?dryRun=true`, b)).json;
      previewed = JSON.stringify(b);
      previewOut.replaceChildren(await renderPreview(r));
    } catch (e) {
      previewed = null;
      previewOut.replaceChildren(errorBox(e));
    } finally {
      previewBtn.disabled = false;
      changed();
    }
  });

  applyBtn.addEventListener('click', async () => {
    applyBtn.disabled = previewBtn.disabled = true;
    applyOut.replaceChildren(h('p', { class: 'hint' }, 'Saving...'));
    try {
      await post(`/v1.0/groups/${enc(id)}/assignLicense`, body());
      const state = h('div');
      applyOut.replaceChildren(notice('ok', 'Saved. The licenses are being applied to the members.'), state);
      watchProcessing(ctx, id, state, (g) => ctx.reload(h('div', null, processingLine('ProcessingComplete'),
        g.hasMembersWithLicenseErrors
          ? notice('warn', 'Some members have license errors: ', link(`#/groups/${enc(id)}`, `see ${group.displayName}`), '.')
          : notice('ok', 'No member of the group has a license error.'))));
    } catch (e) {
      applyOut.replaceChildren(errorBox(e));
      previewBtn.disabled = false;
      changed();
    }
  });

  await renderPlans();
  return [
    h('h1', null, `Licenses of ${group.displayName}`),
    h('p', { class: 'sub' }, 'Select the products the group assigns and the service plans to leave out; preview what the ',
      'change does to every member, then apply it. ', link(`#/groups/${enc(id)}`, 'Back to the group')),
    processingLine((group.licenseProcessingState || {}).state),
    products,
    h('h2', null, 'Service plans'),
    plansBox,
    h('div', { class: 'toolbar' }, previewBtn, applyBtn),
    stale,
    previewOut,
    applyOut,
  ];
}

async function renderPreview(r) {
  const failures = Object.values(r.membersWithErrors || {}).reduce((a, b) => a + b, 0);
  const parts = [h('h2', null, 'Preview')];
  parts.push(notice(failures ? 'warn' : 'ok',
    `${r.members} member${r.members === 1 ? '' : 's'}: ${r.membersLicensed} would be licensed, ${failures} would fail.`));
  parts.push(h('table', null, h('caption', null, 'Seats'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col', class: 'num' }, 'Seats needed'),
      h('th', { scope: 'col', class: 'num' }, 'Seats available'), h('th', { scope: 'col' }, ''))),
    h('tbody', null, (r.seats || []).map((s) => h('tr', null,
      h('td', null, s.skuPartNumber),
      h('td', { class: 'num' }, String(s.seatsNeeded)),
      h('td', { class: 'num' }, String(s.seatsAvailable)),
      h('td', null, s.seatsNeeded > s.seatsAvailable
        ? h('span', { class: 'badge err' }, `${s.seatsNeeded - s.seatsAvailable} short`)
        : h('span', { class: 'badge ok' }, 'enough')))))));
  const codes = Object.entries(r.membersWithErrors || {});
  if (codes.length) {
    parts.push(h('h3', null, 'Members who would fail'));
    parts.push(h('ul', null, codes.map(([code, n]) => h('li', null, `${errorTitle(code)} (${code}): ${n}`, explain(code)))));
  }
  if ((r.sampleErrors || []).length) {
    const rows = await Promise.all(r.sampleErrors.map(async (s) => {
      let who = s.userId;
      try {
        const u = await get(`/v1.0/users/${enc(s.userId)}?$select=id,displayName`);
        who = u.displayName;
      } catch {
        // keep the id
      }
      return h('tr', null, h('td', null, link(`#/users/${enc(s.userId)}`, who)), h('td', null, s.error), h('td', null, s.message));
    }));
    parts.push(h('table', null, h('caption', null, 'For example'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Error'), h('th', { scope: 'col' }, 'Message'))),
      h('tbody', null, rows)));
  }
  return h('section', { 'aria-label': 'Preview' }, parts);
}
