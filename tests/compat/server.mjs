// A fresh database in the test cluster (LICENSINGD_TEST_PGDIR) and a real build/licensingd on a
// free port, for the official client to talk to; what tests/integration/harness.c does for C.
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { openSync, readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { request as httpRequest } from "node:http";

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

// An HTTPS front for a plain-HTTP licensingd, with the certificate tests/compat/run.sh made: TLS
// ends at the proxy and licensingd's --public-url names the proxy, so every link it writes is
// https. (A deployment behind a TLS-terminating proxy looks exactly like this.)
async function httpsFront(target, dir) {
  const port = await freePort();
  const server = createHttpsServer({
    key: readFileSync(`${dir}/server.key`), cert: readFileSync(`${dir}/server.pem`),
  }, (req, res) => {
    const up = httpRequest({ host: "127.0.0.1", port: target, path: req.url, method: req.method,
      headers: { ...req.headers, host: `127.0.0.1:${target}` } }, (ures) => {
      res.writeHead(ures.statusCode, ures.headers);
      ures.pipe(res);
    });
    up.on("error", () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { base: `https://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

// Starts licensingd on a new database; env adds settings. With COMPAT_TLS_DIR set it is reached
// over HTTPS. Resolves to {base, db, sql, stop}.
export async function startServer(suite, env = {}) {
  if (!pgdir) throw new Error("LICENSINGD_TEST_PGDIR is not set (run through `make test`)");
  const db = `licensingd_${suite}_${process.pid}`;
  psql("postgres", `DROP DATABASE IF EXISTS ${db}`);
  psql("postgres", `CREATE DATABASE ${db}`);
  const port = await freePort();
  const tlsDir = process.env.COMPAT_TLS_DIR;
  const front = tlsDir ? await httpsFront(port, tlsDir) : null;
  const base = front ? front.base : `http://127.0.0.1:${port}`;
  if (front) env = { LICENSINGD_PUBLIC_URL: front.base, ...env };
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
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    db,
    sql: (text) => psql(db, text),
    stop: async () => {
      await front?.close();
      if (!exited) {
        await new Promise((resolve) => {
          child.once("exit", resolve);
          child.kill("SIGTERM");
        });
      }
    },
  };
}
