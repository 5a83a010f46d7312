// The Redis behind the queue: one URL (redis://host:port[/db], rediss:// for TLS), checked before
// use. BullMQ keeps jobs, locks and flows in Redis keys that must never be evicted: a Redis whose
// maxmemory-policy is not `noeviction` can silently drop a job or a lock under memory pressure,
// so dfd refuses it, naming the setting.
import type { Redis as RedisType } from "ioredis";

export const ITEM_QUEUE = "dfd-items";
export const STAGE_QUEUE = "dfd-stages";

/** Checks the URL's shape; throws naming the flag or setting it came from. */
export function checkQueueUrl(url: string, from = "--queue"): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${from} ${url}: not a URL (expected redis://host:port)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new Error(`${from} ${url}: expected redis://host:port or rediss://host:port`);
  if (!u.hostname) throw new Error(`${from} ${url}: no host`);
}

/** The URL without its password, for messages. */
export const showUrl = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
};

/** A connection BullMQ can use (it needs maxRetriesPerRequest: null for workers). Fails fast
 * when nothing answers. */
export async function connect(url: string): Promise<RedisType> {
  checkQueueUrl(url);
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: 5000, retryStrategy: (n) => (n > 3 ? null : 200 * n) });
  redis.on("error", () => { /* reported by the command that needed it */ });
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    throw new Error(`queue ${showUrl(url)}: cannot connect (${(e as Error).message})`);
  }
  return redis;
}

/** Refuses a Redis that may evict keys. Reads INFO (allowed where CONFIG is not, e.g. managed Redis). */
export async function checkNoEviction(redis: RedisType, url: string): Promise<void> {
  const info = await redis.info("memory");
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy && policy !== "noeviction")
    throw new Error(`queue ${showUrl(url)}: Redis has maxmemory-policy ${policy}; BullMQ needs noeviction (jobs and locks must never be evicted): set \`maxmemory-policy noeviction\` in redis.conf or run CONFIG SET maxmemory-policy noeviction`);
}

/** connect + checkNoEviction. */
export async function openQueueConnection(url: string): Promise<RedisType> {
  const redis = await connect(url);
  try {
    await checkNoEviction(redis, url);
  } catch (e) {
    redis.disconnect();
    throw e;
  }
  return redis;
}
