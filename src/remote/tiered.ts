// The store seams (src/runner/store-api.ts) over two tiers: this machine's store first, then the
// team's remote cache. What the executor sees:
//   index.get(key)          local entry, else the remote record's entry (origin: "remote")
//   objects.fetch(hash)     downloads a remote output, re-hashes every file against its address,
//                           commits it locally by the usual atomic rename and indexes it locally
//   index.putIfAbsent(e)    the local entry, then (in the background) the output's blobs and its
//                           record on the remote: first writer wins there too
//   runs.put(r)             local; a finished run also goes to the remote (runs/<id>.json)
//
// The remote is an optimisation: when it is unreachable, slow, or refuses (bad credentials, no
// bucket), the run goes on locally after one warning line and the remote is not asked again in
// this process. A record or blob that fails its checks is never used: a warning names the key,
// the stage runs, and its push repairs the bad blob.
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { FileHasher, TreeHash } from "../runner/filehash.js";
import type { RunRecord } from "../runner/records.js";
import type { CacheEntry, CacheIndex, FileLists, ObjectState, ObjectStore, RunLog, StageStore } from "../runner/store-api.js";
import { RemoteError } from "./backend.js";
import { BadBlobError, type RemoteCache } from "./cache.js";
import { BadRecordError, type RemoteRecord } from "./layout.js";

export interface TieredOptions {
  /** Staging area for downloads: on the local store's filesystem (artifacts/tmp). */
  tmpDir: string;
  /** One line per problem; the caller prefixes nothing (messages start with "remote cache"). */
  warn(message: string): void;
  /** Throw remote problems instead of warning and going on without the remote (push, pull). */
  strict?: boolean;
}

export interface TransferStats {
  /** Stage keys found on the remote / outputs downloaded and committed here. */
  remoteHits: number;
  downloaded: number;
  downloadedBytes: number;
  /** Outputs published (record created) / blobs and bytes uploaded. */
  published: number;
  uploadedBlobs: number;
  uploadedBytes: number;
}

/** The local store's parts a tiered store uses beyond the seams. */
type Local = StageStore & { close?(): Promise<void> };

export class TieredStore<L extends Local = Local> implements StageStore {
  readonly index: CacheIndex;
  readonly objects: ObjectStore;
  readonly runs: RunLog;
  readonly lists: FileLists;
  readonly stats: TransferStats = { remoteHits: 0, downloaded: 0, downloadedBytes: 0, published: 0, uploadedBlobs: 0, uploadedBytes: 0 };
  /** Set once the remote failed: why (it is not asked again in this process). */
  disabled: string | undefined;
  /** Remote records found by index.get whose output is not here yet, by output hash. */
  private readonly pending = new Map<string, RemoteRecord[]>();
  /** Blobs found missing or corrupt on the remote: the next push re-uploads them. */
  private readonly badBlobs = new Set<string>();
  private pushing: Promise<void> = Promise.resolve();
  /** Pushes queued and not finished. */
  private queued = 0;
  private readonly problems: string[] = [];

  constructor(readonly local: L, readonly remote: RemoteCache, private readonly opts: TieredOptions) {
    this.index = {
      get: (key) => this.get(key),
      putIfAbsent: (entry) => this.putIfAbsent(entry),
      // A forced re-run: replaced here; on the remote the first writer stays (the push says so
      // when the outputs differ).
      replace: async (entry) => {
        await local.index.replace(entry);
        if (this.writable) void this.queuePush(entry);
      },
    };
    this.lists = local.lists;
    this.objects = {
      dir: (hash) => local.objects.dir(hash),
      check: (hash) => local.objects.check(hash),
      fetch: (hash, files) => this.fetch(hash, files),
      put: (dir, tree) => local.objects.put(dir, tree),
      verify: (hash) => local.objects.verify(hash),
    };
    this.runs = {
      put: (r) => this.putRun(r),
      get: async (id) => (await local.runs.get(id)) ?? (await this.ask(`read run ${id}`, () => this.remote.getRun(id))),
      list: (limit) => local.runs.list(limit),
      latest: () => local.runs.latest(),
      digests: (limit, offset) => local.runs.digests(limit, offset),
      resolve: (ref) => this.resolveRun(ref),
      delete: (id) => local.runs.delete(id),
    };
  }

  get hasher(): FileHasher {
    return this.local.hasher;
  }

  lastKey(stage: string): Promise<string | undefined> {
    return this.local.lastKey(stage);
  }

  setLastKey(stage: string, key: string): Promise<void> {
    return this.local.setLastKey(stage, key);
  }

  /** True when the remote is configured writable and has not failed. */
  get writable(): boolean {
    return !this.remote.readOnly && !this.disabled;
  }

  /** Waits for the background pushes. */
  async flush(): Promise<void> {
    await this.pushing;
  }

  /** Flushes pushes, closes the remote client and the local store. With DFD_STATS set, prints
   * what went over the wire. */
  async close(): Promise<void> {
    // The run is complete here; say why the command has not exited yet when pushes take a while.
    const note = setTimeout(() => {
      if (this.queued) this.opts.warn(`finishing ${this.queued} upload(s) to ${this.remote.url} (Ctrl-C stops them: nothing half-written becomes visible)`);
    }, 1500);
    try {
      await this.flush();
    } finally {
      clearTimeout(note);
    }
    if (process.env.DFD_STATS) this.opts.warn(this.statsLine());
    this.remote.backend.close();
    await this.local.close?.();
  }

  /** One line: hits, transfers, requests by type. */
  statsLine(): string {
    const s = this.stats;
    const r = this.remote.backend.stats;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    return `remote ${this.remote.url}: ${s.remoteHits} remote hit(s), ${s.downloaded} output(s) downloaded (${mb(s.downloadedBytes)} MB), ${s.published} published (${s.uploadedBlobs} blobs, ${mb(s.uploadedBytes)} MB); requests: GET ${r.get}, HEAD ${r.head}, PUT ${r.put}, LIST ${r.list}; ${mb(r.bytesIn)} MB in, ${mb(r.bytesOut)} MB out`;
  }

  /** Runs a remote operation; a remote failure disables the remote (one warning) and yields
   * undefined, a bad record warns naming it and yields undefined. */
  private async ask<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
    if (this.disabled) return undefined;
    try {
      return await f();
    } catch (e) {
      this.onError(e, what);
      return undefined;
    }
  }

  private onError(e: unknown, what: string): void {
    if (this.opts.strict) throw e;
    if (e instanceof BadRecordError || e instanceof BadBlobError) {
      this.warn(`remote cache: ${e.message}; ${what.startsWith("fetch") ? "the stage runs here instead" : "ignored"}`);
      if (e instanceof BadBlobError) this.badBlobs.add(e.sha);
      return;
    }
    if (this.disabled) return;
    const message = e instanceof RemoteError ? e.message : `${this.remote.url}: ${what}: ${e instanceof Error ? e.message : String(e)}`;
    this.disabled = message;
    const advice = e instanceof RemoteError && e.kind === "unavailable" ? "continuing without it" : "continuing without it (fix the remote: settings or set DFD_REMOTE=off)";
    this.warn(`remote cache unusable: ${message}; ${advice}`);
  }

  private warn(message: string): void {
    this.problems.push(message);
    this.opts.warn(message);
  }

  /** Every warning given so far (for --json and tests). */
  get warnings(): readonly string[] {
    return this.problems;
  }

  private async get(key: string): Promise<CacheEntry | undefined> {
    const here = await this.local.index.get(key);
    if (here) return here;
    const record = await this.ask(`look up key ${key}`, () => this.remote.getRecord(key));
    if (!record) return undefined;
    this.stats.remoteHits++;
    const list = this.pending.get(record.entry.outputHash) ?? [];
    if (!list.some((r) => r.entry.key === key)) list.push(record);
    this.pending.set(record.entry.outputHash, list);
    return { ...record.entry, origin: "remote" } as CacheEntry;
  }

  /** Makes `hash` present here from a record index.get found (or `record`, for pull). */
  private async fetch(hash: string, _files?: Record<string, string>, record?: RemoteRecord): Promise<ObjectState> {
    const state = await this.local.objects.check(hash);
    if (state === "ok") {
      await this.indexLocally(hash, record);
      return state;
    }
    const rec = record ?? this.pending.get(hash)?.[0];
    if (!rec || this.disabled) return state;
    const staging = join(this.opts.tmpDir, `remote-${hash.slice(0, 12)}-${process.pid}-${randomBytes(3).toString("hex")}`);
    try {
      await mkdir(this.opts.tmpDir, { recursive: true });
      const infos = await this.remote.download(rec, staging);
      const tree: TreeHash = { hash, files: rec.files, bytes: infos.reduce((a, f) => a + f.size, 0), infos };
      await this.local.objects.put(staging, tree);
      this.stats.downloaded++;
      this.stats.downloadedBytes += tree.bytes;
    } catch (e) {
      this.onError(e, `fetch ${rec.entry.stage} (key ${rec.entry.key})`);
      return this.local.objects.check(hash);
    } finally {
      await rm(staging, { recursive: true, force: true }).catch(() => {});
    }
    const after = await this.local.objects.check(hash);
    if (after === "ok") await this.indexLocally(hash, rec);
    return after;
  }

  /** Downloads `record`'s output if it is not here, and indexes the key locally (dfd pull). */
  async pullRecord(record: RemoteRecord): Promise<ObjectState> {
    return this.fetch(record.entry.outputHash, undefined, record);
  }

  /** The remote entries waiting for `hash` become local entries: next time they are local hits. */
  private async indexLocally(hash: string, extra?: RemoteRecord): Promise<void> {
    const records = [...(this.pending.get(hash) ?? []), ...(extra ? [extra] : [])];
    this.pending.delete(hash);
    for (const r of records) await this.local.index.putIfAbsent(r.entry);
  }

  private async putIfAbsent(entry: CacheEntry): Promise<CacheEntry> {
    const stored = await this.local.index.putIfAbsent(entry);
    if (this.writable) this.queuePush(stored);
    return stored;
  }

  /** Pushes an entry's output in the background (after the previous pushes): blobs, then the
   * record. Errors disable the remote with one warning; the local run is unaffected. */
  queuePush(entry: CacheEntry): Promise<void> {
    return this.enqueue(() => this.ask(`push ${entry.stage} (key ${entry.key})`, () => this.push(entry)));
  }

  /** Runs `f` after the uploads queued before it. */
  private enqueue(f: () => Promise<unknown>): Promise<void> {
    this.queued++;
    const p = this.pushing.then(f).then(() => {}, () => {}).finally(() => { this.queued--; });
    this.pushing = p;
    return p;
  }

  /** Publishes one local entry's output now (dfd push). Returns what happened. */
  async push(entry: CacheEntry): Promise<"created" | "existed" | "conflict"> {
    const dir = this.local.objects.dir(entry.outputHash);
    const tree = await this.local.hasher.hashTree(dir);
    if (tree.hash !== entry.outputHash) throw new Error(`local output ${dir} of ${entry.stage} no longer matches its address (run dfd verify): not pushed`);
    const sizes: Record<string, number> = {};
    const rel = (p: string) => p.slice(dir.length + 1).split("\\").join("/");
    for (const f of tree.infos) sizes[rel(f.path)] = f.size;
    const r = await this.remote.publish(entry, dir, tree.files, sizes, { force: this.badBlobs });
    for (const sha of Object.values(tree.files)) this.badBlobs.delete(sha);
    this.stats.uploadedBlobs += r.uploaded;
    this.stats.uploadedBytes += r.bytes;
    if (r.created) {
      this.stats.published++;
      return "created";
    }
    if (r.stored.entry.outputHash !== entry.outputHash) {
      this.warn(`remote cache: key ${entry.key} (stage ${entry.stage}) already has output ${r.stored.entry.outputHash.slice(0, 12)} on ${this.remote.url} (written by ${r.stored.writer.host}, run ${r.stored.entry.runId}); this machine made ${entry.outputHash.slice(0, 12)}: the stage is not deterministic, the remote keeps the first`);
      return "conflict";
    }
    return "existed";
  }

  private async putRun(record: RunRecord): Promise<void> {
    await this.local.runs.put(record);
    if (record.status !== "running" && this.writable) {
      const snapshot = JSON.parse(JSON.stringify(record)) as RunRecord;
      void this.enqueue(() => this.ask(`store run ${record.id}`, () => this.remote.putRun(snapshot)));
    }
  }

  private async resolveRun(ref: string): Promise<RunRecord> {
    try {
      return await this.local.runs.resolve(ref);
    } catch (e) {
      if (/^latest(~\d+)?$/.test(ref) || this.disabled) throw e;
      try {
        return await this.remote.resolveRun(ref);
      } catch (re) {
        if (re instanceof RemoteError) this.onError(re, `find run ${ref}`);
        throw e;
      }
    }
  }
}
