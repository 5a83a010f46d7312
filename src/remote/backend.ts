// The byte store under a remote cache: keys → immutable objects, on an S3-compatible service
// (s3.ts) or a shared filesystem (file.ts). Everything dfd stores remotely goes through these few
// operations, so the layout (layout.ts) and the checks (every download re-hashed by the caller)
// are the same on both. Backends count their requests for the benchmarks and `DFD_STATS`.

/** Why a remote operation failed, as far as what to do next is concerned. */
export type RemoteErrorKind =
  /** Network error, timeout, 5xx, throttling: the remote is skipped for the rest of the run. */
  | "unavailable"
  /** 401/403, missing or wrong credentials: a configuration problem, said clearly. */
  | "denied"
  /** The bucket (or the shared directory) does not exist. */
  | "no-bucket"
  /** Anything else the server refused (400…). */
  | "refused";

export class RemoteError extends Error {
  constructor(readonly kind: RemoteErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface RequestStats {
  get: number;
  head: number;
  put: number;
  list: number;
  delete: number;
  bytesIn: number;
  bytesOut: number;
}

export const emptyStats = (): RequestStats => ({ get: 0, head: 0, put: 0, list: 0, delete: 0, bytesIn: 0, bytesOut: 0 });

/** A file to upload: its path and size (the caller has checked its hash). */
export interface FileBody {
  file: string;
  size: number;
  /** base64 MD5 of the bytes, sent so the server can reject a transfer that went wrong. */
  md5?: string;
  /** sha256 (hex) of the bytes: a backend that copies the file checks the copy against it. */
  sha256?: string;
}

export interface Backend {
  /** The remote's URL as configured (s3://bucket/prefix, file:///dir): used in every message. */
  readonly url: string;
  readonly stats: RequestStats;
  /** The whole object, or undefined when there is none. */
  get(key: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  /** Streams the object into a new file `dest`, hashing it on the way: sha256 (hex) and size, or
   * undefined when there is no such object. The caller compares the hash with the address. */
  download(key: string, dest: string, signal?: AbortSignal): Promise<{ sha256: string; size: number } | undefined>;
  exists(key: string, signal?: AbortSignal): Promise<boolean>;
  /** Writes (or overwrites) an object. Only for content-addressed keys: same key, same bytes. */
  put(key: string, body: Buffer | FileBody, signal?: AbortSignal): Promise<void>;
  /** Writes the object only if the key has none: true when this call created it, false when an
   * object was already there (first writer wins). Never multipart: atomic and exclusive. */
  create(key: string, body: Buffer, signal?: AbortSignal): Promise<boolean>;
  /** Every key under `prefix` (sorted). */
  list(prefix: string, signal?: AbortSignal): Promise<string[]>;
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** Throws a RemoteError when the remote cannot be used at all (no bucket, bad credentials). */
  probe(signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** Runs `f` over `items` with at most `limit` at a time; results in input order. The first error
 * stops taking new items and is thrown once the running ones settle. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { e: unknown } | undefined;
  const lane = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await f(items[i]!, i);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failed) throw failed.e;
  return out;
}
