// environment() of extract and demo: the version string of the ffmpeg binary actually used (FFMPEG_PATH / FFPROBE_PATH, else PATH, else the npm builds), cached per process and across
// processes by binary path + size + mtime, so a cached `dfd run` does not pay a spawn per stage.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ffmpegBinary, ffprobeBinary, parseVersion } from "../../src/video/ffmpeg.js";
import demo from "../../stages/demo/index.js";
import extract from "../../stages/extract/index.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir("dfd-env-");
after(tmp.cleanup);
const FFMPEG_JS = fileURLToPath(new URL("../../dist/src/video/ffmpeg.js", import.meta.url));

const firstLine = (bin: string) => execFileSync(bin, ["-version"], { encoding: "utf8" }).split("\n")[0]!;

test("extract and demo declare the versions of the binaries they run", async () => {
  const ffmpeg = parseVersion("ffmpeg", firstLine(ffmpegBinary().path));
  const ffprobe = parseVersion("ffprobe", firstLine(ffprobeBinary().path));
  assert.match(ffmpeg, /^\S+$/);
  assert.ok(firstLine(ffmpegBinary().path).startsWith(`ffmpeg version ${ffmpeg}`));
  assert.match(ffprobe, /^\S+$/);
  // extract reads clips with ffmpeg only (it describes them too: src/video/dump.ts)
  assert.deepEqual(await extract.environment!({ params: {} as never }), { ffmpeg });
  assert.deepEqual(await demo.environment!({ params: {} as never }), { ffmpeg });
});

test("parseVersion takes the version word, or the whole first line when the format is unknown", () => {
  assert.equal(parseVersion("ffmpeg", "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers\nbuilt with gcc"), "5.1.6-0+deb12u1");
  assert.equal(parseVersion("ffprobe", "ffprobe version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2007-2018"), "N-47683-g0e8eb07980-static");
  assert.equal(parseVersion("ffmpeg", "something else\n"), "something else");
});

/** toolVersions(["ffmpeg"]) in a fresh process, with FFMPEG_PATH=`bin` and the cache in `cache`. */
function versionIn(bin: string, cache: string): string {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(FFMPEG_JS)}); console.log((await m.toolVersions(["ffmpeg"])).ffmpeg);`], {
    env: { ...process.env, FFMPEG_PATH: bin, DFD_CACHE_DIR: cache },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test("across processes the answer comes from the cache file until the binary changes", () => {
  const bin = join(tmp.dir, "ffmpeg");
  const calls = join(tmp.dir, "calls");
  const fake = (v: string) => {
    writeFileSync(bin, `#!/bin/sh\necho x >> '${calls}'\necho "ffmpeg version ${v} Copyright (c) the test"\n`);
    chmodSync(bin, 0o755);
  };
  writeFileSync(calls, "");
  fake("4.1-test");
  const cache = join(tmp.dir, "cache");
  assert.equal(versionIn(bin, cache), "4.1-test");
  assert.equal(versionIn(bin, cache), "4.1-test");
  assert.equal(readFileSync(calls, "utf8"), "x\n", "the second process must not run the binary");
  const file = join(cache, "tool-versions.json");
  assert.ok(Object.keys(JSON.parse(readFileSync(file, "utf8"))).some((k) => k.startsWith(`${bin}|`)));
  // a different ffmpeg at the same path (size and mtime change): asked again
  fake("5.1-test-build");
  assert.equal(versionIn(bin, cache), "5.1-test-build");
  assert.equal(readFileSync(calls, "utf8"), "x\nx\n");
});
