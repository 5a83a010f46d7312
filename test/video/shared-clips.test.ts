// Integration: extract over ../shared/data/clips (real camera clips and AI clips from several
// generators, GIF/MP4/MKV/MOV/AVI). Every clip must be handled: features, or a named error.
// Small settings (64×64, 8 frames per clip) keep it well under a minute on 2 cores. Skipped, with
// the reason, when the shared set is not on this machine.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { readJsonl } from "../../src/lib/jsonl.js";
import { listDataset } from "../../src/dataset/list.js";
import extract from "../../stages/extract/index.js";
import type { VideoRecord } from "../../stages/extract/impl.js";
import { makeCtx, parseNpyPlain, tempDir } from "./helpers.js";
import { runKind } from "../../src/runner/in-process.js";

const CLIPS = resolve(fileURLToPath(new URL("../../../shared/data/clips", import.meta.url)));
const present = existsSync(join(CLIPS, "manifest.csv"));

test("shared clips: every clip extracted or named", { skip: present ? false : `no shared data set at ${CLIPS}` }, async () => {
  const tmp = tempDir();
  try {
    const ctx = makeCtx(extract, tmp.dir, { data: join(CLIPS, "manifest.csv"), params: { size: 64, max_frames: 8 } });
    const summary = await runKind(extract, ctx);
    const rows = readJsonl<VideoRecord>(join(ctx.outDir, "videos.jsonl"));
    const listed = listDataset(CLIPS).entries;
    assert.equal(rows.length, listed.length);
    for (const r of rows) {
      if (r.error) {
        assert.ok(r.error.startsWith(r.path), `error names the clip: ${r.error}`);
        continue;
      }
      assert.ok(r.label === "real" || r.label === "fake", r.path);
      assert.ok(r.frames >= 2 && r.frames <= 8, `${r.path}: ${r.frames} rows`);
      assert.ok(r.codec && r.width && r.height && r.source_frames, `${r.path}: probe facts`);
      assert.match(r.sha256 ?? "", /^[0-9a-f]{64}$/);
      const npy = parseNpyPlain(readFileSync(join(ctx.outDir, r.features!)));
      assert.deepEqual(npy.shape, [r.frames, r.dims]);
    }
    // the set's sources come from the manifest's source column
    assert.ok(rows.some((r) => r.source === "hotshot-xl" && r.label === "fake" && r.codec === "gif"));
    assert.ok(rows.some((r) => r.source === "intel-sample-videos" && r.label === "real"));
    const ok = rows.filter((r) => !r.error).length;
    assert.ok(ok >= rows.length * 0.95, `${ok}/${rows.length} clips extracted; errors: ${rows.filter((r) => r.error).map((r) => r.error).join("; ")}`);
    assert.equal(summary?.skipped?.length ?? 0, rows.length - ok);
  } finally {
    tmp.cleanup();
  }
});
