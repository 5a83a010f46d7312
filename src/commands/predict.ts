// `dfd predict --model DIR PATH… [--json] [--backend B]`: score clips with a trained model.
//
// The model directory carries the extract params it was trained on (dfd.json `extract`); every
// clip goes through extractClipFeatures with exactly those, so a prediction sees the same features
// as training did. Folders expand to the video files under them. A bad clip gets an error line and
// does not stop the others; the exit code is 1 when any clip failed.
import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join, relative, resolve, sep } from "node:path";
import type { Matrix } from "../lib/npy.js";
import type { Json } from "../params.js";

export interface PredictOptions {
  /** A train stage's output dir (`dfd path train`) or its model/ subdir. */
  model: string;
  json?: boolean;
  /** TensorFlow.js backend; default: auto. */
  backend?: string;
  /** Clips extracted at the same time (ffmpeg decode overlaps feature maths). Default 2. */
  jobs?: number;
  signal?: AbortSignal;
  /** Base for relative display paths; default process.cwd(). */
  cwd?: string;
  /** The project (pipeline.yaml's folder) a module feature extractor's recorded path is relative
   * to; default: the project whose artifacts hold the model, else `cwd`. */
  projectDir?: string;
}

export interface PredictIO {
  /** One line of results (stdout). */
  out(line: string): void;
  /** Progress and the failure summary (stderr). */
  err(line: string): void;
}

/** What predict needs of a loaded model: src/model/detector.ts's Detector satisfies it. */
export interface PredictModel {
  meta: { threshold: number; extract?: unknown };
  score(clips: Matrix[]): Promise<{ score: number; attention: number[] }[]>;
  dispose(): void;
}

export interface ClipPrediction {
  /** As the user gave it (or as found under a folder they gave). */
  path: string;
  score: number | null;
  label: "real" | "fake" | null;
  frames: number | null;
  error?: string;
}

const stdio: PredictIO = {
  out: (l) => void process.stdout.write(l + "\n"),
  err: (l) => void process.stderr.write(l + "\n"),
};

/** Where dfd.json is: DIR/model/dfd.json (a train output) or DIR/dfd.json (the model dir). */
export function resolveModelDir(dir: string, cwd = process.cwd()): string {
  const abs = resolve(cwd, dir);
  if (!existsSync(abs)) throw new Error(`--model ${dir}: no such directory (give a train stage's output: \`dfd path train\`)`);
  if (existsSync(join(abs, "model", "dfd.json"))) return join(abs, "model");
  if (existsSync(join(abs, "dfd.json"))) return abs;
  throw new Error(`--model ${dir}: not a dfd model: neither ${join(abs, "model", "dfd.json")} nor ${join(abs, "dfd.json")} exists (give a train stage's output: \`dfd path train\`)`);
}

/** The clips to score, in the order given; folders expand (recursively, sorted) to their video
 * files. A path that does not exist, or a folder without videos, is an error entry. */
export async function expandPaths(paths: readonly string[], cwd = process.cwd()): Promise<{ path: string; file: string; error?: string }[]> {
  const { VIDEO_EXTENSIONS } = await import("../dataset/list.js");
  const out: { path: string; file: string; error?: string }[] = [];
  for (const p of paths) {
    const file = resolve(cwd, p);
    const st = statSafe(file);
    if (!st) out.push({ path: p, file, error: "no such file or directory" });
    else if (!st.isDirectory()) out.push({ path: p, file }); // named explicitly: try it whatever its extension
    else {
      const found = walk(file).filter((f) => VIDEO_EXTENSIONS.has(extname(f).toLowerCase()));
      if (!found.length) out.push({ path: p, file, error: `folder has no video files (${[...VIDEO_EXTENSIONS].slice(0, 6).join(" ")} …)` });
      for (const f of found) out.push({ path: join(p, relative(file, f)), file: f });
    }
  }
  return out;
}

/** Runs predict and returns the exit code: 0 all scored, 1 some clip failed. Fatal problems (no
 * model, no clips given) throw, with the message naming the path. */
export async function predict(paths: readonly string[], opts: PredictOptions, io: PredictIO = stdio, loadModel?: (modelDir: string) => Promise<PredictModel>): Promise<number> {
  if (!paths.length) throw new Error("dfd predict: give one or more clips or folders to score");
  if (opts.jobs !== undefined && !(Number.isInteger(opts.jobs) && opts.jobs >= 1)) throw new Error(`--jobs must be a whole number of at least 1, got ${opts.jobs}`);
  const modelDir = resolveModelDir(opts.model, opts.cwd);
  const clips = await expandPaths(paths, opts.cwd);
  const { extractClipFeatures } = await import("../features/clip.js");
  const { asRecipe, recipeExtractor } = await import("../features/recipe.js");
  const model = await (loadModel ?? defaultLoader(opts.backend))(modelDir);
  try {
    if (!model.meta.extract || typeof model.meta.extract !== "object")
      throw new Error(
        `${join(modelDir, "dfd.json")}: this model was trained on features that dfd's extract stage did not make (the stage that wrote them left no extract.json params), ` +
          `so dfd predict cannot re-create them: compute the clips' features with your own feature script (as the pipeline did), then score them with the model (docs/data.md "Scoring features you made yourself")`,
      );
    const extract = asRecipe(model.meta.extract as Record<string, Json>);
    const extractor = await recipeExtractor(extract, [...new Set([opts.projectDir, projectOf(modelDir), opts.cwd ?? process.cwd()].filter((d): d is string => !!d))], `the model ${modelDir}`);
    const threshold = model.meta.threshold;

    const scoreOne = async (c: { path: string; file: string; error?: string }): Promise<ClipPrediction> => {
      if (c.error) return { path: c.path, score: null, label: null, frames: null, error: c.error };
      try {
        const { features } = await extractClipFeatures(c.file, extract, extractor, { signal: opts.signal });
        const [r] = await model.score([features]);
        if (!r || !Number.isFinite(r.score)) throw new Error(`model returned ${r?.score} for this clip`);
        return { path: c.path, score: r.score, label: r.score >= threshold ? "fake" : "real", frames: features.rows };
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        return { path: c.path, score: null, label: null, frames: null, error: (e as Error).message };
      }
    };

    // Rows go out as each clip is scored (in the order given), so a long run shows progress; the
    // table's path column is sized from the paths, which are all known before scoring starts.
    const results: ClipPrediction[] = [];
    const row = opts.json ? null : tableRow(Math.max(4, ...clips.map((c) => c.path.length)));
    // A reader that goes away (`dfd predict … | head -1`) ends the command quietly, like any Unix
    // tool: no EPIPE stack trace (tfjs-backend-wasm's handler would turn it into exit code 7).
    const stdout = closedStdout();
    try {
      if (row) io.out(row(null));
      await inOrder(clips, Math.max(1, opts.jobs ?? 2), scoreOne, (r) => {
        results.push(r);
        io.out(row ? row(r) : JSON.stringify(jsonLine(r)));
      }, stdout.closed);
      if (stdout.closed()) return 0;
      if (row) io.out(`(label fake when score >= ${threshold.toFixed(4)}, the threshold saved with the model)`);
    } finally {
      stdout.release();
    }
    if (stdout.closed()) return 0;
    const failed = results.filter((r) => r.error).length;
    if (failed) io.err(`${failed} of ${results.length} clip${results.length === 1 ? "" : "s"} failed`);
    return failed ? 1 : 0;
  } finally {
    model.dispose();
  }
}

function defaultLoader(backend: string | undefined): (dir: string) => Promise<PredictModel> {
  return async (dir) => {
    // tfjs loads only here: `dfd --help` and the other commands stay fast
    const { loadDetector } = await import("../model/detector.js");
    return loadDetector(dir, backend && backend !== "auto" ? { backend } : {});
  };
}

/** `{"path","score","label","frames","error"?}`: the --json line shape (frames: feature rows the
 * model saw, after sampling). */
function jsonLine(r: ClipPrediction): Record<string, unknown> {
  return r.error ? { path: r.path, score: null, label: null, frames: null, error: r.error } : { path: r.path, score: r.score, label: r.label, frames: r.frames };
}

/** Formats one table line (the header for null): path, score, label, frames, then any error. */
function tableRow(pathWidth: number): (r: ClipPrediction | null) => string {
  return (r) => {
    const cells = r
      ? [r.path.padEnd(pathWidth), r.error ? "     -" : r.score!.toFixed(4).padStart(6), (r.error ? "error" : r.label!).padEnd(5), (r.frames === null ? "-" : String(r.frames)).padStart(6), r.error ?? ""]
      : ["path".padEnd(pathWidth), " score", "label", "frames", ""];
    return cells.join("  ").trimEnd();
  };
}

/** Watches process.stdout for EPIPE (the reader closed the pipe) while predict writes. */
function closedStdout(): { closed: () => boolean; release: () => void } {
  let closed = false;
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") closed = true;
    else throw e;
  };
  process.stdout.on("error", onError);
  return {
    closed: () => closed,
    // stay subscribed after the command: writes still queued may fail once it returned
    release: () => (closed ? undefined : void process.stdout.off("error", onError)),
  };
}

/** Runs `work` over items with at most `limit` in flight, delivering results in input order;
 * stops starting new items once `stop()` says so. */
async function inOrder<T, R>(items: readonly T[], limit: number, work: (t: T) => Promise<R>, deliver: (r: R) => void, stop: () => boolean = () => false): Promise<void> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const start = () => {
    if (next >= items.length || stop()) return;
    const p = work(items[next++]!);
    p.catch(() => {}); // awaited in order below; this only keeps a later rejection from going unhandled
    pending.push(p);
  };
  for (let i = 0; i < limit; i++) start();
  for (let i = 0; i < pending.length; i++) {
    const r = await pending[i]!;
    if (stop()) continue; // let the ones in flight settle, deliver nothing more
    deliver(r);
    start();
  }
}

/** The project folder whose artifacts/ holds `modelDir` (a cached train output is
 * <project>/artifacts/objects/<hash>/model), or undefined. */
function projectOf(modelDir: string): string | undefined {
  const parts = resolve(modelDir).split(sep);
  const i = parts.lastIndexOf("artifacts");
  return i > 0 ? parts.slice(0, i).join(sep) || sep : undefined;
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (d.name.startsWith(".")) continue;
    const full = join(dir, d.name);
    // follow symlinks (data sets are often assembled from links); a dangling one is skipped
    const st = d.isSymbolicLink() ? statSafe(full) : d;
    if (st?.isDirectory()) out.push(...walk(full));
    else if (st?.isFile()) out.push(full);
  }
  return out;
}
