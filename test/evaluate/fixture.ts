// Upstream outputs for evaluate tests, written by hand: an extract dir (videos.jsonl + .npy
// features), split.json, a train dir (history.json) and diagnostics.json. Clip features carry the
// label in column 0 so a simple scorer separates them, with one deliberate overlap per split.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNpy, type Matrix } from "../../src/lib/npy.js";
import { writeJsonl } from "../../src/lib/jsonl.js";
import type { StageInput } from "../../src/stage.js";

export interface Fixture {
  root: string;
  inputs: StageInput[];
  extractDir: string;
  outDir: string;
}

export const EVIL_NAME = "fake/<script>alert(1)</script>.mp4";

/** `level` is column 0 of every frame; frames vary a little so attention is not flat. */
function clip(level: number, frames: number): Matrix {
  const dims = 3;
  const data = new Float32Array(frames * dims);
  for (let f = 0; f < frames; f++) {
    data[f * dims] = level + 0.1 * Math.sin(f);
    data[f * dims + 1] = f / frames;
    data[f * dims + 2] = 1;
  }
  return { data, rows: frames, cols: dims };
}

export function makeFixture(opts: { diagnose?: boolean } = {}): Fixture {
  const root = mkdtempSync(join(tmpdir(), "dfd-eval-"));
  const extractDir = join(root, "extract");
  mkdirSync(join(extractDir, "features"), { recursive: true });
  const rows: Record<string, unknown>[] = [];
  const add = (id: string, label: "real" | "fake", source: string, level: number | null, path?: string) => {
    const frames = 4 + (rows.length % 5);
    const features = level === null ? null : `features/${id}.npy`;
    if (level !== null) writeNpy(join(extractDir, features!), clip(level, frames));
    rows.push({ id, path: path ?? `${label}/${id}.mp4`, label, label_raw: label, source, group: null, frames: level === null ? 0 : frames, dims: 3, features, error: level === null ? "ffprobe: Invalid data found when processing input" : null });
  };
  // train: 4+4, val: 3+3 (one fake below the reals), test: 4+4 (one overlap), one broken clip
  const levels = { train: [[-2, -1.5, -1, -0.5], [0.5, 1, 1.5, 2]], val: [[-1.2, -0.8, 0.3], [0.1, 0.9, 1.4]], test: [[-1.5, -1, -0.4, 0.6], [0.2, 0.8, 1.2, 1.9]] } as const;
  const split: Record<string, string[]> = { train: [], val: [], test: [] };
  for (const [s, [reals, fakes]] of Object.entries(levels)) {
    reals.forEach((lv, i) => {
      add(`${s}_real_${i}`, "real", "camera", lv);
      split[s]!.push(`${s}_real_${i}`);
    });
    fakes.forEach((lv, i) => {
      const id = `${s}_fake_${i}`;
      add(id, "fake", i % 2 ? "gen-b" : "gen-a", lv, s === "test" && i === 0 ? EVIL_NAME : undefined);
      split[s]!.push(id);
    });
  }
  add("test_broken", "fake", "gen-a", null);
  split.test!.push("test_broken");
  writeJsonl(join(extractDir, "videos.jsonl"), rows);
  writeFileSync(join(extractDir, "extract.json"), JSON.stringify({ params: { max_frames: 16, size: 32 }, feature: { name: "hand", dims: 3, names: ["level", "t", "one"] }, counts: { clips: rows.length, ok: rows.length - 1, failed: 1 } }));

  const splitDir = join(root, "split");
  mkdirSync(splitDir);
  writeFileSync(join(splitDir, "split.json"), JSON.stringify({ ...split, seed: 0, stratify: "label", group_by: null }));

  const trainDir = join(root, "train");
  mkdirSync(join(trainDir, "model"), { recursive: true });
  // the model artifact's marker (evaluateWith scores with the hand scorer below, not this file)
  writeFileSync(join(trainDir, "model", "dfd.json"), JSON.stringify({ kind: "linear", threshold: 0.5, feature_dims: 3, seq_len: null, extract: null, backend: "hand", params: {} }));
  writeFileSync(
    join(trainDir, "history.json"),
    JSON.stringify({ epochs: Array.from({ length: 12 }, (_, i) => ({ epoch: i + 1, train_loss: 0.7 / (1 + i * 0.4), val_loss: 0.7 / (1 + i * 0.3) + (i > 8 ? 0.02 * (i - 8) : 0), val_auc: Math.min(1, 0.6 + 0.04 * i) })), best_epoch: 9, backend: "cpu", stopped_early: true, threshold: 0.5, threshold_source: "val-f1" }),
  );

  const inputs: StageInput[] = [
    { name: "train", kind: "train", dir: trainDir },
    { name: "split", kind: "split", dir: splitDir },
    { name: "extract", kind: "extract", dir: extractDir },
  ];
  if (opts.diagnose) {
    const diagDir = join(root, "diagnose");
    mkdirSync(diagDir);
    writeFileSync(
      join(diagDir, "diagnostics.json"),
      JSON.stringify({
        classes: {},
        findings: [
          { id: "frame-count-ratio", severity: "warn", reason: "fakes have 4–8 frames, reals 4–8 <b>bold</b>", advice: "cap max_frames" },
          { id: "metadata-auc:codec", severity: "error", reason: "codec alone separates the classes (AUC 1.00)" },
        ],
        auc: {},
        metadata_classifier_auc: 0.5,
        duplicates: [],
      }),
    );
    inputs.push({ name: "diagnose", kind: "diagnose", dir: diagDir });
  }
  const outDir = join(root, "out");
  mkdirSync(outDir);
  return { root, inputs, extractDir, outDir };
}

/** A transparent scorer over the fixture's features: sigmoid(2 · mean of column 0), attention =
 * softmax of column 0 over frames. Deterministic, so expected metrics can be computed by hand. */
export const handScorer = {
  meta: { threshold: 0.5, seq_len: 16, feature_dims: 3, backend: "hand" },
  async score(clips: Matrix[]) {
    return clips.map((m) => {
      const col = Array.from({ length: m.rows }, (_, r) => m.data[r * m.cols]!);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const ex = col.map((v) => Math.exp(v));
      const z = ex.reduce((a, b) => a + b, 0);
      return { score: 1 / (1 + Math.exp(-2 * mean)), attention: ex.map((e) => e / z) };
    });
  },
  dispose() {},
};

/** A small demo pipeline for CLI tests (12 clips, 12 frames of 64 px): demo → extract →
 * [diagnose →] split → train → evaluate, with train's and evaluate's `with:` given as flow maps. */
export function demoPipeline(o: { diagnose?: boolean; train: string; evaluate: string }): string {
  const diag = o.diagnose ?? true;
  return `stages:
  demo:
    uses: demo
    with: { real: 6, fake: 6, size: 64 }
  extract:
    uses: extract
    needs: [demo]
    with: { size: 64, max_frames: 12 }
${diag ? `  diagnose:
    uses: diagnose
    needs: [extract]
` : ""}  split:
    uses: split
    needs: [extract${diag ? ", diagnose" : ""}]
    with: { val: 0.25, test: 0.25, seed: 1 }
  train:
    uses: train
    needs: [extract, split]
    with: ${o.train}
  evaluate:
    uses: evaluate
    needs: [train, split, extract${diag ? ", diagnose" : ""}]
    with: ${o.evaluate}
`;
}
