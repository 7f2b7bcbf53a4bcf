// Microsoft's official Graph JavaScript client (pinned in package-lock.json), unmodified, against a
// real licensingd: what an integrator's code does must work as it does against Graph.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  Client, PageIterator, BatchRequestContent, BatchResponseContent, GraphError, RetryHandlerOptions,
} from "@microsoft/microsoft-graph-client";
import { startServer } from "./server.mjs";

const E1 = "18181a46-0d4e-45cd-891e-60aabd171b4e";
const TEAMS = "57ff2da0-773e-42df-b2af-ffb7a2317929";
let srv;
let client;
// What an administrator's app holds: every permission the calls below need.
const ADMIN = "User.ReadWrite.All Group.ReadWrite.All GroupMember.ReadWrite.All "
  + "Directory.Read.All Organization.Read.All LicenseAssignment.ReadWrite.All AuditLog.Read.All";

function clientFor(server, scopes) {
  const token = server.token(scopes);
  // customHosts: the client attaches the token only to Graph's hosts and the ones named here.
  return Client.init({ authProvider: (done) => done(null, token), baseUrl: `${server.base}/`,
    defaultVersion: "v1.0", customHosts: new Set(["127.0.0.1"]) });
}

before(async () => {
  // The suite's own bursts of set-up writes are not what throttling is tested with (below).
  srv = await startServer("compat", { LICENSINGD_RATE_LIMIT: "0" });
  assert.ok(srv.base.startsWith("https://"), "the official client follows only https links");
  srv.sql(`INSERT INTO organization (display_name, country_letter_code) VALUES ('Contoso', 'US');
    INSERT INTO service_plans (id, name, service, provisions_mailbox, unavailable_in_countries)
      VALUES ('${TEAMS}', 'TEAMS1', 'TeamspaceAPI', false, '{}');
    INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('${E1}', 'STANDARDPACK', 1000);
    INSERT INTO sku_service_plans VALUES ('${E1}', '${TEAMS}', 1);`);
  // A base URL ending in "/" (as integrators write it); the client adds the version.
  client = clientFor(srv, ADMIN);
});

after(async () => { await srv?.stop(); });

let serial = 0;
async function newUser(extra = {}) {
  serial++;
  return client.api("/users").post({
    accountEnabled: true, displayName: `Compat ${serial}`, mailNickname: `compat${serial}`,
    userPrincipalName: `compat${serial}.${process.pid}@contoso.com`, usageLocation: "US",
    passwordProfile: { password: "Compat-Pass-1!" }, ...extra,
  });
}

async function newGroup(name) {
  return client.api("/groups").post({
    displayName: name, mailEnabled: false, mailNickname: name.replace(/\W/g, ""), securityEnabled: true,
  });
}

async function graphError(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof GraphError, `a GraphError, not ${e}`);
    return e;
  }
  assert.fail("the call should have failed");
}

test("users: create, get, update, list with $select, delete", async () => {
  const u = await newUser();
  assert.match(u.id, /^[0-9a-f-]{36}$/);
  const got = await client.api(`/users/${u.id}`).select(["displayName", "usageLocation"]).get();
  assert.equal(got.displayName, u.displayName);
  assert.equal(got.usageLocation, "US");
  await client.api(`/users/${u.id}`).update({ jobTitle: "Tester" });
  assert.equal((await client.api(`/users/${u.userPrincipalName}`).get()).jobTitle, "Tester");
  await client.api(`/users/${u.id}`).delete();
  const e = await graphError(client.api(`/users/${u.id}`).get());
  assert.equal(e.statusCode, 404);
  assert.equal(e.code, "Request_ResourceNotFound");
});

test("groups: create, update, $ref membership, members, delete", async () => {
  const g = await newGroup("Compat Group CRUD");
  const u = await newUser();
  await client.api(`/groups/${g.id}`).update({ description: "from the official client" });
  await client.api(`/groups/${g.id}/members/$ref`)
    .post({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${u.id}` });
  const members = await client.api(`/groups/${g.id}/members`).get();
  assert.deepEqual(members.value.map((m) => m.id), [u.id]);
  assert.equal(members.value[0]["@odata.type"], "#microsoft.graph.user");
  const cast = await client.api(`/groups/${g.id}/members/microsoft.graph.user`).get();
  assert.equal(cast.value.length, 1);
  const count = await client.api(`/groups/${g.id}/members/$count`)
    .header("ConsistencyLevel", "eventual").get();
  assert.equal(Number(count), 1);
  await client.api(`/groups/${g.id}/members/${u.id}/$ref`).delete();
  const gone = await graphError(client.api(`/groups/${g.id}/members/${u.id}/$ref`).delete());
  assert.equal(gone.statusCode, 404);
  await client.api(`/groups/${g.id}`).delete();
});

test("assignLicense on a user and on a group", async () => {
  const u = await newUser();
  const after = await client.api(`/users/${u.id}/assignLicense`)
    .post({ addLicenses: [{ skuId: E1, disabledPlans: [] }], removeLicenses: [] });
  assert.deepEqual(after.assignedLicenses.map((l) => l.skuId), [E1]);
  const details = await client.api(`/users/${u.id}/licenseDetails`).get();
  const one = await client.api(`/users/${u.id}/licenseDetails/${details.value[0].id}`).get();
  assert.equal(one.skuPartNumber, "STANDARDPACK");

  const g = await newGroup("Compat Licensed");
  const m = await newUser();
  await client.api(`/groups/${g.id}/members/$ref`)
    .post({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${m.id}` });
  const accepted = await client.api(`/groups/${g.id}/assignLicense`)
    .post({ addLicenses: [{ skuId: E1, disabledPlans: [] }], removeLicenses: [] });
  assert.deepEqual(accepted.assignedLicenses.map((l) => l.skuId), [E1]);
  let licensed = [];
  for (let i = 0; i < 300 && licensed.length === 0; i++) {
    licensed = (await client.api(`/users/${m.id}`).select("assignedLicenses").get()).assignedLicenses;
    if (licensed.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(licensed.map((l) => l.skuId), [E1]);
});

test("PageIterator follows @odata.nextLink to the end", async () => {
  srv.sql(`INSERT INTO users (user_principal_name, display_name, mail_nickname, account_enabled)
    SELECT 'page' || i || '@contoso.com', 'Paged ' || lpad(i::text, 3, '0'), 'p', true
      FROM generate_series(1, 250) i`);
  const first = await client.api("/users").filter("startswith(displayName,'Paged ')")
    .select(["id", "displayName"]).top(40).get();
  assert.ok(first["@odata.nextLink"].startsWith(`${srv.base}/v1.0/users?`));
  const names = [];
  await new PageIterator(client, first, (u) => { names.push(u.displayName); return true; }).iterate();
  assert.equal(names.length, 250);
  assert.equal(new Set(names).size, 250);
  assert.deepEqual(names, [...names].sort());
});

test("BatchRequestContent with 20 member adds", async () => {
  const g = await newGroup("Compat Batch");
  const users = [];
  for (let i = 0; i < 20; i++) users.push(await newUser());
  const batch = new BatchRequestContent();
  users.forEach((u, i) => batch.addRequest({
    id: String(i + 1),
    request: new Request(`${srv.base}/v1.0/groups/${g.id}/members/$ref`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${u.id}` }),
    }),
  }));
  const raw = await client.api("/$batch").post(await batch.getContent());
  const responses = new BatchResponseContent(raw);
  for (let i = 1; i <= 20; i++) assert.equal(responses.getResponseById(String(i)).status, 204);
  const count = await client.api(`/groups/${g.id}/members/$count`)
    .header("ConsistencyLevel", "eventual").get();
  assert.equal(Number(count), 20);
  // A 21st request is refused by the client itself, as Graph's limit says.
  assert.throws(() => batch.addRequest({ id: "21", request: new Request(`${srv.base}/v1.0/users`) }));
});

test("a delta round trip", async () => {
  let page = await client.api("/users/delta").select(["displayName", "jobTitle"]).get();
  while (page["@odata.nextLink"]) page = await client.api(page["@odata.nextLink"]).get();
  const deltaLink = page["@odata.deltaLink"];
  assert.ok(deltaLink.includes("$deltatoken="));
  const changed = await newUser();
  const removed = await newUser();
  await client.api(`/users/${removed.id}`).delete();
  let items = [];
  for (let i = 0; i < 100 && items.length < 2; i++) {
    let p = await client.api(deltaLink).get();
    items = [...p.value];
    while (p["@odata.nextLink"]) { p = await client.api(p["@odata.nextLink"]).get(); items.push(...p.value); }
    if (items.length < 2) await new Promise((r) => setTimeout(r, 100));
  }
  const byId = Object.fromEntries(items.map((x) => [x.id, x]));
  assert.equal(byId[changed.id].displayName, changed.displayName);
  assert.deepEqual(byId[removed.id]["@removed"], { reason: "deleted" });
});

test("GraphError 401 and 403: no token, and a token without the permission", async () => {
  const anonymous = Client.init({ authProvider: (done) => done(null, "not-a-token"),
    baseUrl: `${srv.base}/`, defaultVersion: "v1.0", customHosts: new Set(["127.0.0.1"]) });
  const unauthenticated = await graphError(anonymous.api("/users").get());
  assert.equal(unauthenticated.statusCode, 401);
  assert.equal(unauthenticated.code, "InvalidAuthenticationToken");
  const reader = clientFor(srv, "User.Read.All");
  const forbidden = await graphError(reader.api("/groups").post({
    displayName: "Not allowed", mailEnabled: false, mailNickname: "no", securityEnabled: true }));
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.code, "Authorization_RequestDenied");
  // Inside a batch each request is held to its own permission, as if sent alone.
  const batch = new BatchRequestContent();
  batch.addRequest({ id: "read", request: new Request(`${srv.base}/v1.0/users?$top=1`) });
  batch.addRequest({ id: "write", request: new Request(`${srv.base}/v1.0/groups`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ displayName: "x", mailEnabled: false, mailNickname: "x", securityEnabled: true }) }) });
  const answers = new BatchResponseContent(await reader.api("/$batch").post(await batch.getContent()));
  assert.equal(answers.getResponseById("read").status, 200);
  assert.equal(answers.getResponseById("write").status, 403);
});

test("GraphError carries Graph's status and code", async () => {
  const bad = await graphError(client.api("/users").top(1000).get());
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.code, "Request_UnsupportedQuery");
  const segment = await graphError(client.api("/nope").get());
  assert.equal(segment.statusCode, 400);
  assert.equal(segment.message, "Resource not found for the segment 'nope'.");
  const missing = await graphError(client.api("/groups/00000000-0000-4000-8000-000000000000").get());
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.code, "Request_ResourceNotFound");
  assert.ok(missing.requestId);
});

test("GraphError 429 with Retry-After when the client's bucket is empty", async () => {
  const small = await startServer("compat_throttle", { LICENSINGD_RATE_LIMIT: "1", LICENSINGD_RATE_BURST: "3" });
  try {
    const c = clientFor(small, ADMIN);
    let error;
    for (let i = 0; i < 10 && !error; i++) {
      try {
        // The client's own retry middleware would wait and retry a 429: off, to see it.
        await c.api("/users").top(1).middlewareOptions([new RetryHandlerOptions(0, 0)]).get();
      } catch (e) { error = e; }
    }
    assert.ok(error instanceof GraphError, `a GraphError, not ${error}`);
    assert.equal(error.statusCode, 429);
    assert.equal(error.code, "TooManyRequests");
    assert.ok(Number(error.headers.get("Retry-After")) >= 1);
  } finally {
    await small.stop();
  }
});
