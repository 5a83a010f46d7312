// An S3-compatible object store as a remote-cache backend (AWS S3, Ceph RGW, MinIO…), through the
// official @aws-sdk/client-s3. Credentials come only from the SDK's standard chain (AWS_* env,
// AWS_PROFILE / ~/.aws, SSO, instance roles); pipeline.yaml names the bucket and, for a service
// other than AWS, its endpoint.
//
// What this relies on from the server, checked against Ceph RGW 16.2 (test/remote/):
//   - PutObject with `If-None-Match: *` fails with 412 when the key exists (first writer wins);
//   - Content-MD5 is verified on upload (a transfer that went wrong is rejected);
//   - nothing else: downloads are re-hashed by the caller, multipart is used only for
//     content-addressed blobs (CompleteMultipartUpload ignores If-None-Match on RGW).
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Client as S3ClientType } from "@aws-sdk/client-s3";
import { RemoteError, emptyStats, type Backend, type FileBody } from "./backend.js";

/** Above this size a blob goes up in parts (a single PUT is limited to 5 GB on AWS). */
const MULTIPART_THRESHOLD = 1024 * 1024 * 1024;
const PART_SIZE = 64 * 1024 * 1024;

export interface S3Options {
  bucket: string;
  /** Key prefix without leading/trailing slashes ("" for the bucket's root). */
  prefix: string;
  /** An S3-compatible service's URL (http://127.0.0.1:7480); AWS when unset. */
  endpoint?: string;
  /** Connect timeout and idle-socket timeout, ms. */
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

type S3Module = typeof import("@aws-sdk/client-s3");

export class S3Backend implements Backend {
  readonly stats = emptyStats();
  readonly url: string;
  private constructor(private readonly s3: S3Module, private readonly client: S3ClientType, private readonly opts: S3Options) {
    this.url = `s3://${opts.bucket}${opts.prefix ? `/${opts.prefix}` : ""}`;
  }

  static async open(opts: S3Options): Promise<S3Backend> {
    // The SDK's Node 20 notice (releases after January 2027 need Node 22) is about upgrading the
    // SDK, which dfd pins; it would otherwise print on every run.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const s3 = await import("@aws-sdk/client-s3");
    const endpoint = opts.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (endpoint ? "us-east-1" : undefined);
    const client = new s3.S3Client({
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      // The region from the environment, else the profile; a custom endpoint rarely cares, but the
      // signer needs one.
      ...(region ? { region } : {}),
      // Checksums only where the API requires them: S3-compatible servers (RGW 16) reject the
      // newer trailing-checksum uploads, and dfd re-hashes everything it downloads anyway.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // Short timeouts and one retry: the remote is an optimisation, a slow one is skipped.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: opts.connectTimeoutMs, socketTimeout: opts.idleTimeoutMs },
    });
    return new S3Backend(s3, client, opts);
  }

  private key(k: string): string {
    return this.opts.prefix ? `${this.opts.prefix}/${k}` : k;
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    this.stats.get++;
    try {
      const r = await this.client.send(new this.s3.GetObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }), { abortSignal: signal });
      const bytes = Buffer.from(await r.Body!.transformToByteArray());
      this.stats.bytesIn += bytes.length;
      return bytes;
    } catch (e) {
      if (notFound(e)) return undefined;
      throw this.error(e, `GET ${key}`);
    }
  }

  async download(key: string, dest: string, signal?: AbortSignal): Promise<{ sha256: string; size: number } | undefined> {
    this.stats.get++;
    let body: Readable;
    try {
      const r = await this.client.send(new this.s3.GetObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }), { abortSignal: signal });
      body = r.Body as Readable;
    } catch (e) {
      if (notFound(e)) return undefined;
      throw this.error(e, `GET ${key}`);
    }
    const h = createHash("sha256");
    let size = 0;
    const tap = new Transform({ transform(chunk: Buffer, _enc, cb) { h.update(chunk); size += chunk.length; cb(null, chunk); } });
    try {
      await pipeline(body, tap, createWriteStream(dest, { flags: "wx" }), ...(signal ? [{ signal }] as const : []));
    } catch (e) {
      await rm(dest, { force: true });
      if (e instanceof RemoteError) throw e;
      throw this.error(e, `GET ${key}`);
    }
    this.stats.bytesIn += size;
    return { sha256: h.digest("hex"), size };
  }

  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    this.stats.head++;
    try {
      await this.client.send(new this.s3.HeadObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }), { abortSignal: signal });
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      throw this.error(e, `HEAD ${key}`);
    }
  }

  async put(key: string, body: Buffer | FileBody, signal?: AbortSignal): Promise<void> {
    if (!Buffer.isBuffer(body) && body.size > MULTIPART_THRESHOLD) return this.putMultipart(key, body, signal);
    this.stats.put++;
    try {
      const payload = Buffer.isBuffer(body)
        ? { Body: body, ContentLength: body.length, ContentMD5: createHash("md5").update(body).digest("base64") }
        : { Body: createReadStream(body.file), ContentLength: body.size, ...(body.md5 ? { ContentMD5: body.md5 } : {}) };
      await this.client.send(new this.s3.PutObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key), ...payload }), { abortSignal: signal });
      this.stats.bytesOut += payload.ContentLength;
    } catch (e) {
      throw this.error(e, `PUT ${key}`);
    }
  }

  /** Big blobs in parts, each with its own MD5. Safe only because blob keys are content
   * addresses: a completed upload is the same bytes whoever completes it. */
  private async putMultipart(key: string, body: FileBody, signal?: AbortSignal): Promise<void> {
    const Bucket = this.opts.bucket;
    const Key = this.key(key);
    this.stats.put++;
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(new this.s3.CreateMultipartUploadCommand({ Bucket, Key }), { abortSignal: signal });
      uploadId = created.UploadId!;
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < body.size; start += PART_SIZE, n++) {
        const end = Math.min(body.size, start + PART_SIZE) - 1;
        const md5 = await md5OfRange(body.file, start, end);
        this.stats.put++;
        const r = await this.client.send(new this.s3.UploadPartCommand({
          Bucket, Key, UploadId: uploadId, PartNumber: n, Body: createReadStream(body.file, { start, end }), ContentLength: end - start + 1, ContentMD5: md5,
        }), { abortSignal: signal });
        parts.push({ ETag: r.ETag!, PartNumber: n });
        this.stats.bytesOut += end - start + 1;
      }
      this.stats.put++;
      await this.client.send(new this.s3.CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }), { abortSignal: signal });
    } catch (e) {
      if (uploadId) await this.client.send(new this.s3.AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => {});
      throw this.error(e, `PUT ${key} (multipart)`);
    }
  }

  async create(key: string, body: Buffer, signal?: AbortSignal): Promise<boolean> {
    this.stats.put++;
    try {
      await this.client.send(new this.s3.PutObjectCommand({
        Bucket: this.opts.bucket, Key: this.key(key), Body: body, ContentLength: body.length,
        ContentMD5: createHash("md5").update(body).digest("base64"), IfNoneMatch: "*",
      }), { abortSignal: signal });
      this.stats.bytesOut += body.length;
      return true;
    } catch (e) {
      const status = statusOf(e);
      // 412: someone else's object is there. 409: a concurrent conditional write is in flight
      // (AWS); it will be there in a moment, and the caller reads it back.
      if (status === 412 || status === 409) return false;
      throw this.error(e, `PUT ${key}`);
    }
  }

  async list(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    const full = this.key(prefix);
    const strip = this.opts.prefix ? this.opts.prefix.length + 1 : 0;
    let token: string | undefined;
    do {
      this.stats.list++;
      let r;
      try {
        r = await this.client.send(new this.s3.ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: full, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal });
      } catch (e) {
        throw this.error(e, `LIST ${prefix}`);
      }
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(strip));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    this.stats.delete++;
    try {
      await this.client.send(new this.s3.DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }), { abortSignal: signal });
    } catch (e) {
      if (!notFound(e)) throw this.error(e, `DELETE ${key}`);
    }
  }

  async probe(signal?: AbortSignal): Promise<void> {
    this.stats.head++;
    try {
      await this.client.send(new this.s3.HeadBucketCommand({ Bucket: this.opts.bucket }), { abortSignal: signal });
    } catch (e) {
      // HEAD has no body: a 404 on the bucket is a missing bucket.
      if (statusOf(e) === 404) throw new RemoteError("no-bucket", `${this.url}: bucket "${this.opts.bucket}" does not exist${this.opts.endpoint ? ` at ${this.opts.endpoint}` : ""} (create it, or fix remote.url)`);
      throw this.error(e, "HEAD bucket");
    }
  }

  close(): void {
    this.client.destroy();
  }

  /** A RemoteError saying what went wrong in terms of what to do about it. */
  private error(e: unknown, what: string): RemoteError {
    if (e instanceof RemoteError) return e;
    const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = statusOf(e);
    const name = err.name ?? "Error";
    const detail = `${name}${status ? ` ${status}` : ""}${err.message && err.message !== "UnknownError" && err.message !== name ? `: ${err.message}` : ""}`;
    if (name === "NoSuchBucket")
      return new RemoteError("no-bucket", `${this.url}: bucket "${this.opts.bucket}" does not exist${this.opts.endpoint ? ` at ${this.opts.endpoint}` : ""} (create it, or fix remote.url)`, { cause: e });
    if (status === 401 || status === 403 || /credential/i.test(name) || /Could not load credentials/i.test(err.message ?? ""))
      return new RemoteError("denied", `${this.url}: ${what} refused (${detail}): check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and their permissions on the bucket`, { cause: e });
    if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429)
      return new RemoteError("refused", `${this.url}: ${what} refused (${detail})`, { cause: e });
    return new RemoteError("unavailable", `${this.url}: ${what} failed (${detail}${this.opts.endpoint ? `, endpoint ${this.opts.endpoint}` : ""})`, { cause: e });
  }
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function notFound(e: unknown): boolean {
  const name = (e as { name?: string })?.name;
  return name === "NoSuchKey" || name === "NotFound" || (statusOf(e) === 404 && name !== "NoSuchBucket");
}

async function md5OfRange(file: string, start: number, end: number): Promise<string> {
  const h = createHash("md5");
  for await (const chunk of createReadStream(file, { start, end })) h.update(chunk as Buffer);
  return h.digest("base64");
}
