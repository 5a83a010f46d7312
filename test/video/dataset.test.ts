// Data set listing: class folders with synonyms and nesting, manifest.csv, ids, sources, and the
// data-set-level bad inputs (empty class folder, unknown label, missing path).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseCsv } from "../../src/dataset/csv.js";
import { normalizeLabel } from "../../src/dataset/labels.js";
import { listDataset, sourceOf, videoId } from "../../src/dataset/list.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
after(tmp.cleanup);

function touch(root: string, rel: string, text = "x"): void {
  const p = join(root, ...rel.split("/"));
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
}

test("class folders: synonyms mean fake, nesting allowed, non-videos ignored, sorted, stable ids", () => {
  const root = join(tmp.dir, "folders");
  touch(root, "real/cam1/day/a.mp4");
  touch(root, "real/b.MOV");
  touch(root, "AI/animatediff__cat.gif");
  touch(root, "generated/x/y.webm");
  touch(root, "deepfake/z.mp4");
  touch(root, "synthetic/s.mkv");
  touch(root, "real/notes.txt");
  touch(root, "real/.hidden.mp4");
  const ds = listDataset(root);
  assert.equal(ds.layout, "folders");
  assert.deepEqual(ds.entries.map((e) => [e.path, e.label]), [
    ["AI/animatediff__cat.gif", "fake"],
    ["deepfake/z.mp4", "fake"],
    ["generated/x/y.webm", "fake"],
    ["real/b.MOV", "real"],
    ["real/cam1/day/a.mp4", "real"],
    ["synthetic/s.mkv", "fake"],
  ]);
  const byPath = Object.fromEntries(ds.entries.map((e) => [e.path, e]));
  assert.equal(byPath["AI/animatediff__cat.gif"]!.source, "animatediff");
  assert.equal(byPath["AI/animatediff__cat.gif"]!.label_raw, "AI");
  assert.equal(byPath["real/cam1/day/a.mp4"]!.source, "day");
  assert.equal(byPath["real/b.MOV"]!.source, "real");
  assert.equal(byPath["real/b.MOV"]!.id, videoId("real/b.MOV"));
  assert.match(byPath["real/b.MOV"]!.id, /^[0-9a-f]{12}$/);
  assert.ok(ds.entries.every((e) => e.error === null));
  assert.deepEqual(ds.warnings, []);
});

test("unknown class folder and loose files become entries with a named error", () => {
  const root = join(tmp.dir, "unknown");
  touch(root, "real/a.mp4");
  touch(root, "fake/b.mp4");
  touch(root, "maybe/c.mp4");
  touch(root, "loose.mp4");
  const ds = listDataset(root);
  const c = ds.entries.find((e) => e.path === "maybe/c.mp4")!;
  assert.equal(c.label, null);
  assert.match(c.error!, /unknown label: folder maybe\/ is not a class folder/);
  assert.match(ds.entries.find((e) => e.path === "loose.mp4")!.error!, /not inside a class folder/);
});

test("an empty class folder is a warning naming it; no clips at all is an error", () => {
  const root = join(tmp.dir, "empty-class");
  touch(root, "real/a.mp4");
  mkdirSync(join(root, "fake"), { recursive: true });
  const ds = listDataset(root);
  assert.ok(ds.warnings.some((w) => w.includes("class folder fake/ is empty")), ds.warnings.join("; "));
  const none = join(tmp.dir, "nothing");
  mkdirSync(join(none, "real"), { recursive: true });
  assert.throws(() => listDataset(none), /^Error: no video files found in data path .*nothing: the class folder real\/ is empty/);
});

test("empty real/ and fake/ folders: the error says they are empty, naming them (not 'expected sub-folders')", () => {
  const root = join(tmp.dir, "both-empty");
  mkdirSync(join(root, "real"), { recursive: true });
  mkdirSync(join(root, "fake", "nested"), { recursive: true });
  writeFileSync(join(root, "fake", "notes.txt"), "not a video\n");
  assert.throws(() => listDataset(root), (e: Error) => {
    assert.match(e.message, /^no video files found in data path .*both-empty: the class folders fake\/ and real\/ are empty \(video files: \.mp4 /);
    assert.doesNotMatch(e.message, /expected sub-folders/);
    return true;
  });
  // no class folders at all: the layout hint
  const bare = join(tmp.dir, "no-classes");
  mkdirSync(join(bare, "misc"), { recursive: true });
  assert.throws(() => listDataset(bare), /expected sub-folders real\/ and fake\/ \(or a manifest\.csv\)/);
});

test("a missing data path is an error naming it", () => {
  assert.throws(() => listDataset(join(tmp.dir, "does-not-exist")), /data path .*does-not-exist does not exist/);
});

test("manifest.csv: extra columns ignored, quoted names, source/group columns, per-row errors with line numbers", () => {
  const root = join(tmp.dir, "manifest");
  touch(root, "clips/a b ü.mp4");
  touch(root, "clips/gen__x.gif");
  touch(root, "clips/c,d.mp4");
  touch(root, "clips/e.mp4");
  writeFileSync(
    join(root, "manifest.csv"),
    [
      "path,label,source,repo,group",
      'clips/a b ü.mp4,real,phone,r1,g1',
      "clips/gen__x.gif,AI,,r2,",
      '"clips/c,d.mp4",Generated,"","",g2',
      "clips/e.mp4,maybe,,,",
      "clips/missing.mp4,fake,,,",
    ].join("\r\n") + "\r\n",
  );
  const ds = listDataset(root);
  assert.equal(ds.layout, "manifest");
  const e = Object.fromEntries(ds.entries.map((x) => [x.path, x]));
  assert.equal(e["clips/a b ü.mp4"]!.source, "phone");
  assert.equal(e["clips/a b ü.mp4"]!.group, "g1");
  assert.equal(e["clips/gen__x.gif"]!.label, "fake");
  assert.equal(e["clips/gen__x.gif"]!.source, "gen");
  assert.equal(e["clips/gen__x.gif"]!.group, null);
  assert.equal(e["clips/c,d.mp4"]!.label, "fake");
  assert.equal(e["clips/c,d.mp4"]!.source, "clips");
  assert.match(e["clips/e.mp4"]!.error!, /^manifest\.csv:5: unknown label "maybe"/);
  assert.match(e["clips/missing.mp4"]!.error!, /^manifest\.csv:6: file not found: clips\/missing\.mp4/);
  assert.equal(e["clips/a b ü.mp4"]!.error, null);
});

test("manifest.csv without path/label columns is an error with file:line", () => {
  const root = join(tmp.dir, "bad-manifest");
  touch(root, "manifest.csv", "file,class\na.mp4,real\n");
  assert.throws(() => listDataset(root), /manifest\.csv:1: header must name the columns path and label/);
});

test("labels, sources and CSV details", () => {
  assert.equal(normalizeLabel(" Deepfake "), "fake");
  assert.equal(normalizeLabel("0"), "real");
  assert.equal(normalizeLabel("cat"), null);
  assert.equal(sourceOf("real/x/hotshot-xl__1.gif", "real"), "hotshot-xl");
  assert.equal(sourceOf("a.mp4", "real"), "real");
  assert.deepEqual(parseCsv('a,"b ""q"", c"\n\n1,2\n').map((r) => [r.line, r.fields]), [
    [1, ["a", 'b "q", c']],
    [3, ["1", "2"]],
  ]);
  assert.throws(() => parseCsv('a,"open\n'), /line 1: unterminated quoted field/);
});
