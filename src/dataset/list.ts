// Lists a data set: either a folder with one sub-folder per class (real/, fake/ and synonyms; any
// nesting below the class folder) or a manifest.csv (`path,label[,source,group]`, paths relative
// to the CSV; extra columns ignored). Yields one entry per video file, sorted by path, with a
// stable id; problems with single entries become that entry's `error`, problems with the data
// set as a whole become `warnings` (or a thrown error when nothing usable is left).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, posix, relative, resolve, sep } from "node:path";
import { parseCsv } from "./csv.js";
import { KNOWN_LABELS, normalizeLabel, type Label } from "./labels.js";

export interface DatasetEntry {
  /** Stable short hash of `path`. */
  id: string;
  /** Path relative to the data root, POSIX separators. */
  path: string;
  /** Absolute path. */
  file: string;
  label: Label | null;
  label_raw: string;
  source: string;
  group: string | null;
  /** Set when this entry cannot be used (unknown label, missing file...). */
  error: string | null;
}

export interface Dataset {
  /** Absolute data root (the folder, or the manifest's folder). */
  root: string;
  /** "folders" or the manifest's path relative to root. */
  layout: "folders" | "manifest";
  manifest?: string;
  entries: DatasetEntry[];
  warnings: string[];
}

/** File types treated as videos when walking folders (anything ffmpeg decodes; GIF included). */
export const VIDEO_EXTENSIONS = new Set([
  ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".gif", ".apng", ".webp", ".mpg", ".mpeg", ".ts",
  ".mts", ".m2ts", ".wmv", ".flv", ".3gp", ".ogv", ".y4m", ".mxf", ".nut",
]);

/** Video id: first 12 hex digits of sha256 of the relative POSIX path. */
export function videoId(relPath: string): string {
  return createHash("sha256").update(relPath.normalize("NFC")).digest("hex").slice(0, 12);
}

/** `name__rest.ext` → "name"; else the parent folder's name (or `fallback` at the root). */
export function sourceOf(relPath: string, fallback: string): string {
  const name = posix.basename(relPath);
  const cut = name.indexOf("__");
  if (cut > 0) return name.slice(0, cut);
  const parent = posix.basename(posix.dirname(relPath));
  return parent && parent !== "." ? parent : fallback;
}

/** The folder a data set's relative paths start from: the folder itself, or a manifest file's
 * folder (what listDataset returns as `root`). */
export function datasetRoot(dataPath: string): string {
  const abs = resolve(dataPath);
  return existsSync(abs) && statSync(abs).isFile() ? dirname(abs) : abs;
}

export function listDataset(dataPath: string): Dataset {
  const abs = resolve(dataPath);
  if (!existsSync(abs)) throw new Error(`data path ${abs} does not exist`);
  const st = statSync(abs);
  if (st.isFile()) {
    if (extname(abs).toLowerCase() !== ".csv") throw new Error(`data path ${abs} is a file; expected a folder or a manifest .csv`);
    return fromManifest(abs);
  }
  const manifest = join(abs, "manifest.csv");
  if (existsSync(manifest)) return fromManifest(manifest);
  return fromFolders(abs);
}

function fromFolders(root: string): Dataset {
  const entries: DatasetEntry[] = [];
  const warnings: string[] = [];
  const present = new Set<Label>();
  const emptyClassDirs: string[] = [];
  const top = readdirSync(root, { withFileTypes: true }).filter((d) => !d.name.startsWith("."));
  for (const d of top.sort((a, b) => cmp(a.name, b.name))) {
    const full = join(root, d.name);
    const isDir = d.isDirectory() || (d.isSymbolicLink() && statSync(full).isDirectory());
    if (!isDir) {
      if (isVideo(d.name))
        entries.push(entry(root, d.name, null, "", `not inside a class folder: put it under real/ or fake/ (${KNOWN_LABELS})`));
      continue;
    }
    const label = normalizeLabel(d.name);
    const files = walk(full).map((f) => toPosix(relative(root, f)));
    if (label === null) {
      for (const f of files)
        entries.push(entry(root, f, null, d.name, `unknown label: folder ${d.name}/ is not a class folder; expected ${KNOWN_LABELS}`));
      continue;
    }
    if (files.length === 0) {
      warnings.push(`class folder ${d.name}/ is empty (no video files)`);
      emptyClassDirs.push(d.name);
    }
    else present.add(label);
    for (const f of files) entries.push(entry(root, f, label, d.name, null));
  }
  for (const label of ["real", "fake"] as const)
    if (!present.has(label) && entries.length) warnings.push(`no ${label} clips in ${root}`);
  if (!entries.length && emptyClassDirs.length)
    throw new Error(
      `no video files found in data path ${root}: ${emptyClassDirs.length === 1 ? "the class folder" : "the class folders"} ${emptyClassDirs.map((d) => `${d}/`).join(" and ")} ${emptyClassDirs.length === 1 ? "is" : "are"} empty ` +
        `(video files: ${[...VIDEO_EXTENSIONS].slice(0, 6).join(" ")} …)`,
    );
  return finish({ root, layout: "folders", entries, warnings });
}

function fromManifest(csvPath: string): Dataset {
  const root = dirname(csvPath);
  const rel = basename(csvPath);
  let records;
  try {
    records = parseCsv(readFileSync(csvPath, "utf8"));
  } catch (e) {
    throw new Error(`${csvPath}: ${(e as Error).message}`);
  }
  const header = records.shift();
  if (!header) throw new Error(`${csvPath}: empty manifest (expected a header line path,label[,source,group])`);
  const cols = header.fields.map((h) => h.trim().toLowerCase());
  const col = (name: string) => cols.indexOf(name);
  const [pathCol, labelCol, sourceCol, groupCol] = [col("path"), col("label"), col("source"), col("group")];
  if (pathCol < 0 || labelCol < 0)
    throw new Error(`${csvPath}:${header.line}: header must name the columns path and label (found: ${header.fields.join(",")})`);
  const entries: DatasetEntry[] = [];
  const seen = new Map<string, number>();
  for (const r of records) {
    const where = `${rel}:${r.line}`;
    const p = toPosix((r.fields[pathCol] ?? "").trim());
    const labelRaw = (r.fields[labelCol] ?? "").trim();
    if (!p) {
      entries.push({ ...entry(root, `${rel}#line${r.line}`, null, labelRaw, `${where}: empty path`), file: csvPath });
      continue;
    }
    const relPath = posix.normalize(p);
    if (seen.has(relPath)) throw new Error(`${csvPath}:${r.line}: ${relPath} is listed twice (first on line ${seen.get(relPath)})`);
    seen.set(relPath, r.line);
    const label = normalizeLabel(labelRaw);
    const source = sourceCol >= 0 ? (r.fields[sourceCol] ?? "").trim() : "";
    const group = groupCol >= 0 ? (r.fields[groupCol] ?? "").trim() : "";
    const e = entry(root, relPath, label, labelRaw, null, source || undefined, group || null);
    if (label === null) e.error = `${where}: unknown label "${labelRaw}"; expected ${KNOWN_LABELS}`;
    else if (relPath.startsWith("../") || posix.isAbsolute(relPath)) e.error = `${where}: path ${p} is outside the data folder`;
    else if (!existsSync(e.file)) e.error = `${where}: file not found: ${relPath}`;
    else if (!statSync(e.file).isFile()) e.error = `${where}: ${relPath} is not a file`;
    entries.push(e);
  }
  const ds = finish({ root, layout: "manifest", manifest: rel, entries, warnings: [] });
  for (const label of ["real", "fake"] as const)
    if (!entries.some((e) => e.label === label)) ds.warnings.push(`${rel} lists no ${label} clips`);
  return ds;
}

function finish(ds: Dataset): Dataset {
  ds.entries.sort((a, b) => cmp(a.path, b.path));
  if (ds.entries.length === 0) {
    const hint = ds.layout === "folders" ? "expected sub-folders real/ and fake/ (or a manifest.csv)" : "the manifest has no rows";
    throw new Error(`no video files found in data path ${ds.root}: ${hint}`);
  }
  return ds;
}

function entry(root: string, relPath: string, label: Label | null, labelRaw: string, error: string | null, source?: string, group: string | null = null): DatasetEntry {
  return {
    id: videoId(relPath),
    path: relPath,
    file: join(root, ...relPath.split("/")),
    label,
    label_raw: labelRaw,
    source: source ?? sourceOf(relPath, labelRaw || "unknown"),
    group,
    error,
  };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.name.startsWith(".")) continue;
    const full = join(dir, d.name);
    if (d.isDirectory() || (d.isSymbolicLink() && statSync(full).isDirectory())) out.push(...walk(full));
    else if (isVideo(d.name)) out.push(full);
  }
  return out;
}

function isVideo(name: string): boolean {
  return VIDEO_EXTENSIONS.has(extname(name).toLowerCase());
}
function toPosix(p: string): string {
  return sep === "/" ? p : p.split(sep).join("/");
}
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
