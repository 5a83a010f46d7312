// `remote:` and `executor:` in pipeline.yaml: shapes, line:col errors, no credentials in the file,
// and which of pipeline.yaml / the environment / the flags wins.
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveExecutor } from "../../src/distributed/config.js";
import { resolveRemote } from "../../src/remote/config.js";
import { parseConfig } from "../../src/runner/config.js";
import { ConfigError } from "../../src/runner/diagnostic.js";

const STAGES = "stages:\n  a:\n    run: echo hi > $DFD_OUT/a.txt\n";

const parse = (top: string) => parseConfig("/p/pipeline.yaml", top + STAGES);
const errors = (top: string): string[] => {
  try {
    parse(top);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
  }
  assert.fail("expected a ConfigError");
};

test("remote: a URL or a mapping; read_only and endpoint optional", () => {
  assert.deepEqual(parse("remote: s3://team-bucket/dfd\n").remote, { url: "s3://team-bucket/dfd", readOnly: false });
  assert.deepEqual(parse("remote:\n  url: file:///mnt/team-cache\n  read_only: true\n").remote, { url: "file:///mnt/team-cache", readOnly: true });
  assert.deepEqual(parse("remote:\n  url: s3://b-1/x\n  endpoint: http://127.0.0.1:7480\n").remote, { url: "s3://b-1/x", endpoint: "http://127.0.0.1:7480", readOnly: false });
  assert.equal(parse("remote: null\n").remote, null);
  assert.equal(parse("").remote, null);
});

test("remote: mistakes are reported at their line:col", () => {
  assert.match(errors("remote: https://example.com/x\n")[0]!, /^1:9 remote URL https:\/\/example.com\/x: expected s3:\/\/bucket\/prefix/);
  assert.match(errors("remote:\n  url: s3://B/x\n")[0]!, /^2:8 .*not a valid bucket name/);
  assert.match(errors("remote:\n  url: s3://bucket/x\n  read_only: yes please\n")[0]!, /^3:14 `remote.read_only:` must be true or false/);
  assert.match(errors("remote:\n  url: s3://bucket/x\n  readonly: true\n")[0]!, /^3:3 unknown key "readonly" in `remote:`.*read_only/);
  assert.match(errors("remote:\n  read_only: true\n")[0]!, /^1:1 `remote:` needs `url:`/);
  assert.match(errors("remote: file://fileserver/share\n")[0]!, /^1:9 remote URL file:\/\/fileserver\/share: .*host/);
});

test("remote: credentials never in pipeline.yaml", () => {
  const e = errors("remote:\n  url: s3://bucket/x\n  secret_access_key: abc\n");
  assert.match(e[0]!, /^3:3 `remote.secret_access_key:`: credentials never go in pipeline.yaml.*AWS_ACCESS_KEY_ID/);
  assert.match(errors("remote:\n  url: s3://bucket/x\n  endpoint: http://me:pw@host:7480\n")[0]!, /credentials never go in pipeline.yaml/);
});

test("DFD_REMOTE wins over remote: (and DFD_REMOTE=off switches it off); DFD_REMOTE_READ_ONLY forces read-only", () => {
  const spec = { url: "s3://team-bucket/dfd", readOnly: false };
  assert.deepEqual(resolveRemote(spec, {}), { ...spec, from: "pipeline.yaml" });
  assert.deepEqual(resolveRemote(spec, { DFD_REMOTE: "file:///mnt/c" }), { url: "file:///mnt/c", readOnly: false, from: "DFD_REMOTE" });
  assert.equal(resolveRemote(spec, { DFD_REMOTE: "off" }), null);
  assert.equal(resolveRemote(null, {}), null);
  assert.equal(resolveRemote(spec, { DFD_REMOTE_READ_ONLY: "1" })!.readOnly, true);
  assert.equal(resolveRemote({ ...spec, readOnly: true }, { DFD_REMOTE_READ_ONLY: "0" })!.readOnly, false);
  assert.equal(resolveRemote(spec, { DFD_REMOTE_ENDPOINT: "http://127.0.0.1:1" })!.endpoint, "http://127.0.0.1:1");
  assert.throws(() => resolveRemote(null, { DFD_REMOTE: "ftp://x" }), /^Error: DFD_REMOTE: remote URL ftp:\/\/x/);
  assert.throws(() => resolveRemote(spec, { DFD_REMOTE_READ_ONLY: "maybe" }), /DFD_REMOTE_READ_ONLY=maybe: expected 1 or 0/);
});

test("executor: local, or bullmq with a queue; flags win", () => {
  assert.deepEqual(parse("executor: local\n").executor, { type: "local" });
  assert.deepEqual(parse("executor:\n  type: bullmq\n  queue: redis://127.0.0.1:6379\n").executor, { type: "bullmq", queue: "redis://127.0.0.1:6379" });
  assert.deepEqual(parse("executor:\n  type: bullmq\n  queue: redis://h:1\n  inputs: shared\n").executor, { type: "bullmq", queue: "redis://h:1", inputs: "shared" });
  assert.match(errors("executor:\n  type: bullmq\n  queue: redis://h:1\n  inputs: nfs\n")[0]!, /^4:11 `executor.inputs:` must be one of: remote, shared/);
  assert.match(errors("executor: bullmq\n")[0]!, /^1:11 `executor: bullmq` needs a queue/);
  assert.match(errors("executor:\n  type: bullmq\n  queue: http://x\n")[0]!, /^3:10 .*expected redis:\/\/host:port/);
  assert.match(errors("executor:\n  type: bullmq\n")[0]!, /needs `queue: redis:\/\/host:port`/);
  const yaml = { type: "bullmq" as const, queue: "redis://a:1" };
  assert.deepEqual(resolveExecutor(yaml, {}), yaml);
  assert.deepEqual(resolveExecutor(yaml, { executor: "local" }), { type: "local" });
  assert.deepEqual(resolveExecutor(null, { queue: "redis://b:2" }), { type: "bullmq", queue: "redis://b:2" });
  assert.throws(() => resolveExecutor(null, { executor: "bullmq" }), /needs --queue/);
  assert.deepEqual(resolveExecutor({ ...yaml, inputs: "shared" }, { inputs: "remote" }), { ...yaml, inputs: "remote" });
  assert.throws(() => resolveExecutor(yaml, { inputs: "nfs" }), /--inputs nfs: expected remote or shared/);
});
