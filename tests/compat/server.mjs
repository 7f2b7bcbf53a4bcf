// A fresh database in the test cluster (LICENSINGD_TEST_PGDIR) and a real build/licensingd on a
// free port, for the official client to talk to; what tests/integration/harness.c does for C.
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { openSync } from "node:fs";
import { randomBytes } from "node:crypto";

const pgdir = process.env.LICENSINGD_TEST_PGDIR;
const bin = process.env.LICENSINGD_BIN || "build/licensingd";
const user = process.getuid && process.getuid() === 0 ? "postgres" : process.env.USER || "postgres";

function psql(db, sql) {
  return execFileSync("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
    `host=${pgdir}/sock dbname=${db} user=${user}`, "-c", sql], { encoding: "utf8" }).trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts licensingd on a new database; env adds settings. With COMPAT_TLS_DIR set it serves HTTPS
// itself (--tls-cert/--tls-key) and names itself with --public-url. Tokens are HS256 ones signed
// with a secret of this run, minted by `licensingd token`. Resolves to {base, db, sql, token, stop}.
export async function startServer(suite, env = {}) {
  if (!pgdir) throw new Error("LICENSINGD_TEST_PGDIR is not set (run through `make test`)");
  const db = `licensingd_${suite}_${process.pid}`;
  psql("postgres", `DROP DATABASE IF EXISTS ${db}`);
  psql("postgres", `CREATE DATABASE ${db}`);
  const port = await freePort();
  const tlsDir = process.env.COMPAT_TLS_DIR;
  const base = `${tlsDir ? "https" : "http"}://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString("hex");
  if (tlsDir) {
    env = { LICENSINGD_TLS_CERT: `${tlsDir}/server.pem`, LICENSINGD_TLS_KEY: `${tlsDir}/server.key`,
      LICENSINGD_PUBLIC_URL: base, ...env };
  }
  env = { LICENSINGD_JWT_SECRET: secret, ...env };
  const log = openSync(`${pgdir}/${db}.log`, "a");
  const child = spawn(bin, ["serve"], {
    env: { ...process.env, DATABASE_URL: `host=${pgdir}/sock dbname=${db} user=${user}`,
      PORT: String(port), LISTEN_ADDR: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", log, log],
  });
  let exited = false;
  child.on("exit", () => { exited = true; });
  for (let i = 0; i < 300; i++) {
    if (exited) throw new Error(`licensingd exited during start-up; see ${pgdir}/${db}.log`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    db,
    sql: (text) => psql(db, text),
    // A delegated token with these Graph permissions (space-separated).
    token: (scopes) => execFileSync(bin, ["token", "--scopes", scopes],
      { env: { ...process.env, LICENSINGD_JWT_SECRET: secret }, encoding: "utf8" }).trim(),
    stop: async () => {
      if (!exited) {
        await new Promise((resolve) => {
          child.once("exit", resolve);
          child.kill("SIGTERM");
        });
      }
    },
  };
}
