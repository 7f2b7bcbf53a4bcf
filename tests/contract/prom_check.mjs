// Parses a /metrics body (file path argument) with a Prometheus text-format parser (pinned) and
// prints "families N samples M"; exits 1 when it does not parse or holds no samples.
import { readFileSync } from 'node:fs';
import parse from 'parse-prometheus-text-format';

const text = readFileSync(process.argv[2], 'utf8');
let families;
try {
  families = parse(text);
} catch (e) {
  console.error(`prometheus parse failed: ${e.message}`);
  process.exit(1);
}
let samples = 0;
for (const f of families) {
  if (!f.name || !f.type) { console.error(`family without name/type: ${JSON.stringify(f)}`); process.exit(1); }
  samples += f.metrics.length;
}
if (samples === 0) { console.error('no samples'); process.exit(1); }
console.log(`families ${families.length} samples ${samples}`);
