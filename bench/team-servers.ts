// What the team benchmarks (bench/remote.ts, bench/distributed.ts) share: their flags, the real
// servers (those exported by `eval "$(node scripts/services.mjs start)"`, else their own), and a
// fresh bucket per measurement.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start as startServices, stop as stopServices } from "../scripts/services.mjs";

export const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};

export interface Servers {
  env: Record<string, string>;
  /** AWS_* for the test server's user (also set in this process). */
  aws: Record<string, string>;
  newBucket(): Promise<string>;
  /** Empties and deletes a bucket made by newBucket (the test S3 keeps objects in memory). */
  dropBucket(url: string): Promise<void>;
  stop(): Promise<void>;
}

export async function servers(need: "redis+s3" | "s3"): Promise<Servers> {
  let env: Record<string, string>;
  let own: string | undefined;
  if (process.env.DFD_TEST_S3_ENDPOINT && (need === "s3" || process.env.DFD_TEST_REDIS_URL)) {
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("DFD_TEST_"))) as Record<string, string>;
  } else {
    own = join(tmpdir(), `dfd-bench-services-${process.pid}`);
    env = await startServices({ dir: own, ...(need === "s3" ? { only: "s3" as const } : {}) });
  }
  const aws = { AWS_ACCESS_KEY_ID: env.DFD_TEST_S3_ACCESS_KEY!, AWS_SECRET_ACCESS_KEY: env.DFD_TEST_S3_SECRET_KEY!, AWS_REGION: "us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  Object.assign(process.env, aws);
  return {
    env, aws,
    async newBucket() {
      const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
      const c = new S3Client({ endpoint: env.DFD_TEST_S3_ENDPOINT, forcePathStyle: true, region: "us-east-1" });
      const bucket = `dfd-bench-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
      await c.send(new CreateBucketCommand({ Bucket: bucket }));
      c.destroy();
      return `s3://${bucket}/team`;
    },
    async dropBucket(url) {
      const { S3Client, ListObjectsV2Command, DeleteObjectsCommand, DeleteBucketCommand } = await import("@aws-sdk/client-s3");
      const c = new S3Client({ endpoint: env.DFD_TEST_S3_ENDPOINT, forcePathStyle: true, region: "us-east-1", requestChecksumCalculation: "WHEN_REQUIRED" });
      const Bucket = url.slice("s3://".length).split("/")[0]!;
      for (;;) {
        const r = await c.send(new ListObjectsV2Command({ Bucket }));
        const keys = (r.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (!keys.length) break;
        await c.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys } }));
      }
      await c.send(new DeleteBucketCommand({ Bucket }));
      c.destroy();
    },
    stop: async () => { if (own) await stopServices({ dir: own }); },
  };
}
