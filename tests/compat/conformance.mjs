// Schema conformance: every Graph entity the integration suites received (captured by
// tests/integration/harness.c into LICENSINGD_CAPTURE_DIR) checked against Microsoft's official
// v1.0 CSDL (tests/data/graph-v1.0-metadata.xml): property names, types and formats, nullability,
// enum values. A property Graph lacks passes only where openapi.yaml marks it
// x-licensingd-extension. Also checks our own /v1.0/$metadata against the official CSDL: every
// Graph type and property we declare must be Graph's, with Graph's type.
// Usage: node conformance.mjs CAPTURE_DIR [METADATA_XML]
import { readFileSync, readdirSync } from "node:fs";
import { XMLParser } from "fast-xml-parser";
import { parse as parseYaml } from "yaml";

const root = new URL("../../", import.meta.url).pathname;
const [captureDir, ourMetadataFile] = process.argv.slice(2);

// ---- the CSDL ----

const asList = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" });

// {types: Map("microsoft.graph.user" -> {kind, base, props: Map(name -> {type, nullable}),
//  members: Set, open})}, aliases resolved to namespaces.
function loadCsdl(text) {
  const doc = xml.parse(text);
  const types = new Map();
  const schemas = asList(doc["edmx:Edmx"]["edmx:DataServices"].Schema);
  const alias = new Map(schemas.map((s) => [s.Alias || s.Namespace, s.Namespace]));
  const full = (name) => {
    if (!name) return name;
    const coll = name.match(/^Collection\((.*)\)$/);
    if (coll) return `Collection(${full(coll[1])})`;
    const dot = name.lastIndexOf(".");
    const ns = name.slice(0, dot);
    return alias.has(ns) ? `${alias.get(ns)}${name.slice(dot)}` : name;
  };
  for (const s of schemas) {
    for (const [kind, key] of [["entity", "EntityType"], ["complex", "ComplexType"], ["enum", "EnumType"]]) {
      for (const t of asList(s[key])) {
        const props = new Map();
        for (const p of [...asList(t.Property), ...asList(t.NavigationProperty)]) {
          props.set(p.Name, { type: full(p.Type), nullable: p.Nullable !== "false",
            navigation: asList(t.NavigationProperty).includes(p) });
        }
        types.set(`${s.Namespace}.${t.Name}`, { kind, base: full(t.BaseType), props,
          members: new Set(asList(t.Member).map((m) => m.Name)), open: t.OpenType === "true",
          flags: t.IsFlags === "true" });
      }
    }
  }
  return types;
}

// The property of a type or its bases, or undefined.
function findProp(types, typeName, name) {
  for (let t = types.get(typeName); t; t = types.get(t.base)) {
    if (t.props.has(name)) return t.props.get(name);
  }
  return undefined;
}

const graph = loadCsdl(readFileSync(`${root}tests/data/graph-v1.0-metadata.xml`, "utf8"));

// ---- extension properties: only where openapi.yaml marks them ----

const openapi = parseYaml(readFileSync(`${root}openapi.yaml`, "utf8"));
const extensions = new Map(); // "user" -> Set of property names marked x-licensingd-extension
for (const [name, schema] of Object.entries(openapi.components?.schemas || {})) {
  const marked = Object.entries(schema.properties || {})
    .filter(([, p]) => p["x-licensingd-extension"] === true).map(([n]) => n);
  const key = name.charAt(0).toLowerCase() + name.slice(1);
  extensions.set(key, new Set([...(extensions.get(key) || []), ...marked]));
}

// ---- checking values ----

const failures = [];
const counts = { responses: 0, entities: 0, properties: 0, byType: {} };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/;

function fail(where, what) {
  failures.push(`${where}: ${what}`);
}

function checkValue(where, type, nullable, v) {
  if (v === null) {
    if (!nullable) fail(where, `null, but ${type} is Nullable="false"`);
    return;
  }
  const coll = type.match(/^Collection\((.*)\)$/);
  if (coll) {
    if (!Array.isArray(v)) return fail(where, `expected an array of ${coll[1]}`);
    v.forEach((x, i) => checkValue(`${where}[${i}]`, coll[1], false, x));
    return;
  }
  switch (type) {
    case "Edm.String": if (typeof v !== "string") fail(where, `expected a string, got ${JSON.stringify(v)}`); return;
    case "Edm.Guid": if (typeof v !== "string" || !GUID.test(v)) fail(where, `expected a GUID, got ${JSON.stringify(v)}`); return;
    case "Edm.DateTimeOffset": if (typeof v !== "string" || !DATETIME.test(v)) fail(where, `expected an ISO 8601 date-time, got ${JSON.stringify(v)}`); return;
    case "Edm.Boolean": if (typeof v !== "boolean") fail(where, `expected a boolean, got ${JSON.stringify(v)}`); return;
    case "Edm.Int32": if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) fail(where, `expected an Int32, got ${JSON.stringify(v)}`); return;
    case "Edm.Int64": if (!Number.isInteger(v)) fail(where, `expected an Int64, got ${JSON.stringify(v)}`); return;
    case "Edm.Double": case "Edm.Single": case "Edm.Decimal": if (typeof v !== "number") fail(where, "expected a number"); return;
    default: break;
  }
  const t = graph.get(type);
  if (!t) return fail(where, `type ${type} is not in Graph's CSDL`);
  if (t.kind === "enum") {
    const names = t.flags ? String(v).split(",").map((s) => s.trim()) : [v];
    for (const n of names) if (!t.members.has(n)) fail(where, `'${n}' is not a member of ${type}`);
    return;
  }
  if (typeof v !== "object" || Array.isArray(v)) return fail(where, `expected an object of ${type}`);
  checkObject(where, type, v);
}

function checkObject(where, typeName, obj) {
  let type = typeName;
  if (typeof obj["@odata.type"] === "string") {
    const named = obj["@odata.type"].replace(/^#/, "");
    if (!graph.has(named)) return fail(where, `@odata.type ${named} is not in Graph's CSDL`);
    type = named;
  }
  const t = graph.get(type);
  counts.byType[type] = (counts.byType[type] || 0) + 1;
  const local = type.replace(/^microsoft\.graph\./, "");
  for (const [name, v] of Object.entries(obj)) {
    if (name.includes("@")) continue; // annotations, members@delta, @removed
    const p = findProp(graph, type, name);
    counts.properties++;
    if (!p) {
      if (!(extensions.get(local)?.has(name))) { // open types too: nothing undeclared
        fail(`${where}.${name}`, `${type} has no property '${name}' and openapi.yaml does not mark it x-licensingd-extension`);
      }
      continue;
    }
    checkValue(`${where}.${name}`, p.type, p.nullable, v);
  }
}

// The entity type an @odata.context names: "…/$metadata#users(id)/$entity" -> user.
const SETS = { users: "user", groups: "group", directoryObjects: "directoryObject",
  organization: "organization", subscribedSkus: "subscribedSku",
  "auditLogs/directoryAudits": "directoryAudit", subscriptions: "subscription" };

function entityOfContext(context) {
  const frag = context.split("#")[1] || "";
  const path = frag.replace(/\/\$entity$/, "").replace(/\([^)]*\)$/, "");
  if (/^users\('[^']*'\)\/licenseDetails$/.test(path)) return "microsoft.graph.licenseDetails";
  if (SETS[path]) return `microsoft.graph.${SETS[path]}`;
  return null; // an extension (licensing/…) or not an entity
}

const unchecked = new Map();
function checkBody(where, body) {
  if (body === null || typeof body !== "object") return;
  if (Array.isArray(body.responses)) { // $batch
    body.responses.forEach((r) => checkBody(`${where} [batch ${r.id}]`, r.body));
    return;
  }
  const context = body["@odata.context"];
  if (typeof context !== "string" || body.error) return;
  const type = entityOfContext(context);
  if (!type) {
    const key = context.split("#")[1];
    unchecked.set(key, (unchecked.get(key) || 0) + 1);
    return;
  }
  counts.responses++;
  const items = context.includes("/$entity") ? [body] : Array.isArray(body.value) ? body.value : [];
  for (const item of items) {
    counts.entities++;
    const obj = { ...item };
    delete obj["@odata.context"];
    // Expanded members are directoryObjects of their own types.
    if (Array.isArray(obj.members) && type === "microsoft.graph.group") {
      obj.members.forEach((m, i) => checkObject(`${where}.members[${i}]`, "microsoft.graph.directoryObject", m));
      delete obj.members;
    }
    checkObject(where, type, obj);
  }
}

if (captureDir) {
  for (const file of readdirSync(captureDir).filter((f) => f.endsWith(".jsonl"))) {
    for (const line of readFileSync(`${captureDir}/${file}`, "utf8").split("\n")) {
      if (!line) continue;
      const r = JSON.parse(line);
      if (r.status >= 200 && r.status < 300) checkBody(`${r.method} ${r.path}`, r.body);
    }
  }
}

// ---- our own $metadata against Graph's ----

let declared = 0;
if (ourMetadataFile) {
  const ours = loadCsdl(readFileSync(ourMetadataFile, "utf8"));
  for (const [name, t] of ours) {
    if (!name.startsWith("microsoft.graph.") || name.startsWith("microsoft.graph.licensing.")) continue;
    const g = graph.get(name);
    if (!g) { fail(`$metadata ${name}`, "Graph's CSDL has no such type"); continue; }
    for (const [p, d] of t.props) {
      declared++;
      const gp = findProp(graph, name, p);
      if (!gp) fail(`$metadata ${name}.${p}`, "Graph's type has no such property");
      else if (gp.type !== d.type) fail(`$metadata ${name}.${p}`, `typed ${d.type}, Graph says ${gp.type}`);
      else if (gp.nullable !== d.nullable) fail(`$metadata ${name}.${p}`, `Nullable ${d.nullable}, Graph says ${gp.nullable}`);
    }
  }
}

console.log(`conformance: ${counts.responses} responses, ${counts.entities} entities, ` +
  `${counts.properties} properties checked against Graph's v1.0 CSDL; ${declared} $metadata properties compared`);
console.log(`  by type: ${Object.entries(counts.byType).map(([k, v]) => `${k.replace("microsoft.graph.", "")} ${v}`).join(", ")}`);
if (unchecked.size) console.log(`  not Graph entities (extensions): ${[...unchecked.keys()].sort().join(", ")}`);
for (const f of [...new Set(failures)].slice(0, 60)) console.log(`  FAIL ${f}`);
if (failures.length) {
  console.log(`conformance: ${new Set(failures).size} distinct failures`);
  process.exit(1);
}
if (counts.entities === 0 && captureDir) {
  console.log("conformance: nothing was captured");
  process.exit(1);
}
