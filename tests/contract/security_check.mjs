// openapi.yaml's security against the route table: every operation lists exactly the Graph
// permissions api/routes.c names for it (`security: []` for the open ones), 401 and 403 are
// documented where a token is needed, and both security schemes know every permission name of
// service/auth/permissions.c.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const [specPath, routesPath, permissionsPath] = process.argv.slice(2);
const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };

const routes = [...readFileSync(routesPath, 'utf8').matchAll(
  /\{HTTP_(\w+),\s*"([^"]+)",\s*\w+,\s*(NULL|"[^"]*")\s*\}/g)]
  .map(m => ({ method: m[1].toLowerCase(), path: m[2],
               needs: m[3] === 'NULL' ? null : m[3].slice(1, -1).split(/\s+/).filter(Boolean) }));
const names = [...readFileSync(permissionsPath, 'utf8').matchAll(/\[PERM_\w+\]\s*=\s*\{\s*"([^"]+)"/g)]
  .map(m => m[1]);
const spec = parse(readFileSync(specPath, 'utf8'), { strict: true, uniqueKeys: true });

check(routes.length > 0 && names.length > 0, 'the route table and the permission table are readable');
const schemes = spec?.components?.securitySchemes ?? {};
check(schemes.bearer?.type === 'http' && schemes.bearer?.scheme === 'bearer' &&
      schemes.bearer?.bearerFormat === 'JWT', 'securitySchemes.bearer is an http bearer JWT');
check(schemes.graph?.type === 'oauth2', 'securitySchemes.graph is oauth2');
for (const [flow, spec_flow] of Object.entries(schemes.graph?.flows ?? {})) {
  const scopes = Object.keys(spec_flow.scopes ?? {}).sort();
  check(JSON.stringify(scopes) === JSON.stringify([...names].sort()),
        `graph ${flow} scopes are the permission table's (${scopes.join(' ')})`);
}

for (const r of routes) {
  const op = spec?.paths?.[r.path]?.[r.method];
  if (!op) { problems.push(`${r.method} ${r.path}: not in openapi.yaml`); continue; }
  const where = `${r.method.toUpperCase()} ${r.path}`;
  if (r.needs === null) {
    check(Array.isArray(op.security) && op.security.length === 0, `${where}: security: [] (open)`);
    continue;
  }
  const listed = (op.security ?? []).map(req => {
    const keys = Object.keys(req);
    check(keys.length === 1 && keys[0] === 'graph' && req.graph.length === 1,
          `${where}: each security requirement is one graph permission`);
    return (req.graph ?? [])[0];
  });
  check(JSON.stringify([...listed].sort()) === JSON.stringify([...r.needs].sort()),
        `${where}: security lists ${listed.join(' ')}, the route table ${r.needs.join(' ')}`);
  for (const n of r.needs) check(names.includes(n), `${where}: ${n} is a known permission`);
  check(op.responses?.['401'] && op.responses?.['403'], `${where}: documents 401 and 403`);
}

if (problems.length) {
  for (const p of problems) console.error(`openapi security: FAILED: ${p}`);
  process.exit(1);
}
console.log(`openapi security: ${routes.length} routes, ${routes.filter(r => r.needs).length} ` +
            `with permissions, ${names.length} permission names, all as the route table says`);
