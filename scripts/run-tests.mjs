#!/usr/bin/env node
// Runs every *.test.ts under test/, stages/ and src/ with node's own test runner (Node 20's --test
// does not expand globs itself). Extra arguments are passed on: `npm test -- --test-name-pattern=cache`;
// plain words select files whose path contains them: `npm test -- test/remote`.
//
// When the selected tests include the remote-cache or distributed ones (test/remote, test/distributed)
// and this machine has the servers (Debian: redis-server radosgw ceph-mon ceph-osd uuid-runtime),
// the real servers are started once for the whole run on 127.0.0.1 (scripts/services.mjs), their
// endpoints exported to the test processes, and stopped afterwards. Already-exported endpoints
// (DFD_TEST_REDIS_URL, DFD_TEST_S3_ENDPOINT: `eval "$(node scripts/services.mjs start)"`) are used
// as they are. Without the servers those tests skip, saying so.
import { readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { available, start, stop } from "./services.mjs";

const roots = ["test", "stages", "src"];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.ts")) files.push(path);
  }
};
for (const root of roots) {
  try { walk(root); } catch { /* a missing root is fine */ }
}
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("--"));
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;

// Servers for the tests that need them.
const needs = {
  redis: selected.some((f) => f.includes("test/distributed")) && !process.env.DFD_TEST_REDIS_URL,
  s3: selected.some((f) => f.includes("test/remote") || f.includes("test/distributed")) && !process.env.DFD_TEST_S3_ENDPOINT,
};
const can = available();
const servicesDir = join(tmpdir(), `dfd-services-${process.pid}`);
let started = false;
const env = { ...process.env };
if ((needs.redis && can.redis) || (needs.s3 && can.s3)) {
  const t0 = Date.now();
  try {
    const got = await start({ dir: servicesDir, ...(needs.redis && needs.s3 ? {} : { only: needs.redis ? "redis" : "s3" }) });
    started = true;
    Object.assign(env, got);
    process.stderr.write(`run-tests: started ${[got.DFD_TEST_REDIS_URL && "redis", got.DFD_TEST_S3_ENDPOINT && "Ceph RGW (S3)"].filter(Boolean).join(" and ")} on 127.0.0.1 in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (e) {
    process.stderr.write(`run-tests: could not start the test servers (${e.message}); the tests that need them will skip\n`);
  }
}
for (const [name, want] of Object.entries(needs))
  if (want && !can[name]) process.stderr.write(`run-tests: no ${name === "s3" ? "Ceph RGW (S3)" : "redis-server"} on this machine: its tests skip (apt-get install -y redis-server radosgw ceph-mon ceph-osd uuid-runtime)\n`);

// Ctrl-C reaches the test runner too (same process group); stop the servers once it has exited.
const noop = () => {};
process.on("SIGINT", noop);
process.on("SIGTERM", noop);
const r = spawnSync(process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", ...flags, ...selected],
  { stdio: "inherit", env });
if (started) await stop({ dir: servicesDir });
process.exit(r.status ?? 1);
