// The directory audit log (GET /v1.0/auditLogs/directoryAudits), filtered with Graph's $filter
// on activity, target, initiator and time; newest first, server-paged.
import { enc, lit, url } from './api.js';
import { badge, field, h, link, pagedTable, when } from './ui.js';

const ACTIVITIES = [
  'Change user license',
  'Set group license',
  'Start applying group based license to users',
  'Finish applying group based license to users',
  'LicenseAssignmentAttributeConcurrencyException',
  'Add user',
  'Update user',
  'Delete user',
  'Add group',
  'Update group',
  'Delete group',
  'Add member to group',
  'Remove member from group',
  'Add subscribedSku',
  'Update subscribedSku',
  'Delete subscribedSku',
  'Update service plan',
  'Import product catalog',
  'Import service plan rules',
];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// datetime-local ("2026-05-01T10:00") in the browser's zone -> an OData instant in UTC.
function instant(local) {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function auditFilter({ activity, target, initiator, from, to }) {
  const f = [];
  if (activity) f.push(`activityDisplayName eq ${lit(activity)}`);
  if (target)
    f.push(GUID.test(target) ? `targetResources/any(t:t/id eq ${lit(target.toLowerCase())})`
      : `targetResources/any(t:startswith(t/displayName,${lit(target)}))`);
  if (initiator)
    f.push(`(initiatedBy/user/userPrincipalName eq ${lit(initiator)} or initiatedBy/app/displayName eq ${lit(initiator)})`);
  if (from && instant(from)) f.push(`activityDateTime ge ${instant(from)}`);
  if (to && instant(to)) f.push(`activityDateTime le ${instant(to)}`);
  return f.join(' and ');
}

function initiator(by) {
  if (by && by.user) return by.user.userPrincipalName || by.user.displayName || by.user.id || 'user';
  if (by && by.app) return by.app.displayName || by.app.appId || 'app';
  return '';
}

function target(t) {
  const name = t.displayName || t.userPrincipalName || t.id;
  if (t.type === 'User' && t.id) return link(`#/users/${enc(t.id)}`, name);
  if (t.type === 'Group' && t.id) return link(`#/groups/${enc(t.id)}`, name);
  return name;
}

export async function auditPage(ctx) {
  const v = {
    activity: ctx.query.get('activity') || '',
    target: ctx.query.get('target') || '',
    initiator: ctx.query.get('initiator') || '',
    from: ctx.query.get('from') || '',
    to: ctx.query.get('to') || '',
  };
  const inputs = {
    activity: h('input', { type: 'text', list: 'activities', value: v.activity, autocomplete: 'off' }),
    target: h('input', { type: 'text', value: v.target, autocomplete: 'off' }),
    initiator: h('input', { type: 'text', value: v.initiator, autocomplete: 'off' }),
    from: h('input', { type: 'datetime-local', value: v.from, step: 1 }),
    to: h('input', { type: 'datetime-local', value: v.to, step: 1 }),
  };
  const form = h('form', { class: 'filters', 'aria-label': 'Filter the audit log' },
    field('Activity', inputs.activity),
    h('datalist', { id: 'activities' }, ACTIVITIES.map((a) => h('option', { value: a }))),
    field('Target', inputs.target, 'object id, or the start of its name'),
    field('Initiated by', inputs.initiator, 'user principal name or app name'),
    field('From', inputs.from),
    field('To', inputs.to),
    h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
    h('a', { href: '#/audit', class: 'button' }, 'Clear'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = {};
    for (const [k, el] of Object.entries(inputs)) q[k] = el.value.trim();
    location.hash = url('#/audit', q);
  });
  const filter = auditFilter(v);
  return [
    h('h1', null, 'Audit log'),
    form,
    filter ? h('p', { class: 'hint' }, 'Filter: ', h('code', null, filter)) : null,
    pagedTable({
      label: 'audit records',
      url: url('/v1.0/auditLogs/directoryAudits', { $filter: filter, $top: 50 }),
      empty: 'No audit record matches.',
      columns: [
        { title: 'Time', render: (a) => when(a.activityDateTime) },
        { title: 'Activity', render: (a) => a.activityDisplayName },
        { title: 'Result', render: (a) => [badge(a.result === 'success' ? 'ok' : 'err', a.result), a.resultReason ? h('p', null, a.resultReason) : null] },
        { title: 'Initiated by', render: (a) => initiator(a.initiatedBy) },
        { title: 'Targets', render: (a) => (a.targetResources || []).map((t, i) => [i ? ', ' : '', target(t)]) },
        {
          title: 'Changes',
          render: (a) => {
            const props = (a.targetResources || []).flatMap((t) => t.modifiedProperties || []);
            if (!props.length) return '';
            return h('details', { class: 'raw' }, h('summary', null, `${props.length} propert${props.length === 1 ? 'y' : 'ies'}`),
              h('pre', null, props.map((p) => `${p.displayName}: ${p.oldValue || ''} -> ${p.newValue || ''}`).join('\n')));
          },
        },
      ],
    }),
  ];
}
