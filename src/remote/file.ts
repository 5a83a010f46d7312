// A shared filesystem (NFS, SMB, a mounted volume: file:///mnt/team-cache) as a remote-cache
// backend, with the same guarantees as the S3 one: an object appears whole or not at all (written
// to a temp file in the same directory, then renamed or linked into place), and `create` is
// exclusive (link(2) fails when the name exists: first writer wins, also over NFS).
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, link, mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { RemoteError, emptyStats, type Backend, type FileBody } from "./backend.js";

export class FileBackend implements Backend {
  readonly stats = emptyStats();
  readonly root: string;
  constructor(readonly url: string) {
    this.root = fileURLToPath(url);
  }

  private path(key: string): string {
    return join(this.root, ...key.split("/"));
  }

  /** A temp name next to `final` (same directory, so same filesystem: rename/link are atomic). */
  private temp(final: string): string {
    return join(dirname(final), `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.stats.get++;
    try {
      const b = await readFile(this.path(key));
      this.stats.bytesIn += b.length;
      return b;
    } catch (e) {
      if (code(e) === "ENOENT") return undefined;
      throw this.error(e, `read ${key}`);
    }
  }

  async download(key: string, dest: string, signal?: AbortSignal): Promise<{ sha256: string; size: number } | undefined> {
    this.stats.get++;
    const h = createHash("sha256");
    let size = 0;
    const tap = new Transform({ transform(chunk: Buffer, _enc, cb) { h.update(chunk); size += chunk.length; cb(null, chunk); } });
    try {
      await pipeline(createReadStream(this.path(key)), tap, createWriteStream(dest, { flags: "wx" }), ...(signal ? [{ signal }] as const : []));
    } catch (e) {
      await rm(dest, { force: true });
      if (code(e) === "ENOENT" && size === 0) return undefined;
      throw this.error(e, `read ${key}`);
    }
    this.stats.bytesIn += size;
    return { sha256: h.digest("hex"), size };
  }

  async exists(key: string): Promise<boolean> {
    this.stats.head++;
    try {
      await stat(this.path(key));
      return true;
    } catch (e) {
      if (code(e) === "ENOENT") return false;
      throw this.error(e, `stat ${key}`);
    }
  }

  async put(key: string, body: Buffer | FileBody): Promise<void> {
    this.stats.put++;
    const final = this.path(key);
    const tmp = this.temp(final);
    try {
      await mkdir(dirname(final), { recursive: true });
      if (Buffer.isBuffer(body)) await writeFile(tmp, body);
      else if (!body.sha256) await copyFile(body.file, tmp);
      else {
        // Check the copy, not the source: the file may have changed since it was hashed.
        const h = createHash("sha256");
        const tap = new Transform({ transform(chunk: Buffer, _enc, cb) { h.update(chunk); cb(null, chunk); } });
        await pipeline(createReadStream(body.file), tap, createWriteStream(tmp, { flags: "wx" }));
        const got = h.digest("hex");
        if (got !== body.sha256) throw new RemoteError("refused", `${this.url}: write ${key}: ${body.file} changed while being stored (sha256 ${got}, expected ${body.sha256})`);
      }
      await rename(tmp, final);
      this.stats.bytesOut += Buffer.isBuffer(body) ? body.length : body.size;
    } catch (e) {
      await rm(tmp, { force: true });
      throw this.error(e, `write ${key}`);
    }
  }

  async create(key: string, body: Buffer): Promise<boolean> {
    this.stats.put++;
    const final = this.path(key);
    const tmp = this.temp(final);
    try {
      await mkdir(dirname(final), { recursive: true });
      await writeFile(tmp, body);
      try {
        await link(tmp, final);
      } catch (e) {
        if (code(e) === "EEXIST") return false;
        throw e;
      }
      this.stats.bytesOut += body.length;
      return true;
    } catch (e) {
      throw this.error(e, `write ${key}`);
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  async list(prefix: string): Promise<string[]> {
    this.stats.list++;
    // A prefix is a directory path plus the start of a name ("runs/" or "ac/ab").
    const dir = prefix.endsWith("/") ? this.path(prefix) : dirname(this.path(prefix));
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch (e) {
        if (code(e) === "ENOENT") return;
        throw this.error(e, `list ${prefix}`);
      }
      for (const e of entries) {
        if (e.name.startsWith(".tmp-")) continue;
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else out.push(relative(this.root, p).split(sep).join("/"));
      }
    };
    await walk(dir);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    this.stats.delete++;
    await rm(this.path(key), { force: true });
  }

  async probe(): Promise<void> {
    this.stats.head++;
    try {
      const s = await stat(this.root);
      if (!s.isDirectory()) throw new RemoteError("no-bucket", `${this.url}: ${this.root} is not a directory`);
    } catch (e) {
      if (code(e) === "ENOENT") throw new RemoteError("no-bucket", `${this.url}: ${this.root} does not exist (create it, or mount the shared volume there)`);
      throw this.error(e, "stat");
    }
  }

  close(): void {}

  private error(e: unknown, what: string): RemoteError {
    if (e instanceof RemoteError) return e;
    const c = code(e);
    const kind = c === "EACCES" || c === "EPERM" || c === "EROFS" ? "denied" : c === "ENOENT" ? "no-bucket" : "unavailable";
    return new RemoteError(kind, `${this.url}: ${what}: ${(e as Error).message}`, { cause: e });
  }
}

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code;
