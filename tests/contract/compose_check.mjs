// Parses docker/compose.yaml with the `yaml` package (pinned) and checks what the README promises:
// PostgreSQL 15 and licensingd with health checks, migrate + init-organization before serving,
// a `demo` profile, no secret written in the file; the Dockerfile has a HEALTHCHECK and a
// non-root USER.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const [composePath, dockerfilePath] = process.argv.slice(2);
const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };

const text = readFileSync(composePath, 'utf8');
const doc = parse(text, { merge: true, strict: true, uniqueKeys: true });
const s = doc?.services ?? {};
check(s.postgres?.image === 'postgres:15', 'postgres service runs postgres:15');
check(Array.isArray(s.postgres?.healthcheck?.test), 'postgres has a healthcheck');
check(s.licensingd?.healthcheck?.test?.join(' ').includes('/healthz'), 'licensingd health checks /healthz');
check(s.licensingd?.depends_on?.postgres?.condition === 'service_healthy', 'licensingd waits for a healthy postgres');
check(s.licensingd?.depends_on?.setup?.condition === 'service_completed_successfully', 'licensingd waits for setup');
const setup = [].concat(s.setup?.command ?? []).join(' ');
check(/licensingd migrate/.test(setup) && /init-organization/.test(setup), 'setup migrates then runs init-organization');
check(s.demo?.profiles?.includes('demo'), 'a demo profile loads the demo');
check(/load-demo/.test([].concat(s.demo?.entrypoint ?? []).join(' ')), 'the demo profile runs load-demo');
check(typeof s.licensingd?.environment?.DATABASE_URL === 'string', 'the merge key gives licensingd DATABASE_URL');
check(!/^\s*\w*(PASSWORD|SECRET)\w*:\s*[^$\s]/m.test(text), 'no password literal in compose.yaml');
for (const [name, svc] of Object.entries(s))
  for (const p of svc.ports ?? [])
    check(String(p).startsWith('127.0.0.1:'), `${name} publishes ${p} on loopback only`);

const df = readFileSync(dockerfilePath, 'utf8');
check(/^HEALTHCHECK /m.test(df), 'Dockerfile has a HEALTHCHECK');
const users = [...df.matchAll(/^USER\s+(\S+)/gm)].map(m => m[1]);
check(users.length > 0 && !/^(root|0)(:|$)/.test(users.at(-1)), 'the final image runs as a non-root USER');

if (problems.length) {
  for (const p of problems) console.error(`compose check: FAILED: ${p}`);
  process.exit(1);
}
console.log(`compose check: ${Object.keys(s).length} services, Dockerfile ok`);
