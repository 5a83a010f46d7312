// The two classes of the demo set as lavfi filter graphs. Both share the content (Conway's-life
// blobs in random palettes at the same on-screen cell size), frame rate, size and codec, so the
// classes differ where real detectors look:
//  - real: scene rendered at full size, optical blur, camera shake, temporally independent sensor
//    noise (luma + chroma), 32–92 frames;
//  - fake: scene rendered small, over-smoothed, bicubic up-sampled (a spectral fall-off), a smooth
//    drift instead of shake, global brightness flicker, little or no noise, and — on purpose, like the original write-up's data
//    — always exactly 8 frames, a shortcut the diagnose stage must catch.
// Noise and blur ranges overlap between the classes so the task is not trivially perfect.
import { mulberry32 } from "../../src/lib/random.js";

export interface Rng {
  (): number;
}

/** The shared seeded PRNG (src/lib/random.ts): same seed, same clips. */
export function rng(seed: number): Rng {
  return mulberry32(seed);
}

export interface Recipe {
  frames: number;
  graph: string;
}

const PALETTES = [
  ["c08040", "203050", "608020"],
  ["d0c0a0", "304020", "806040"],
  ["a0b0d0", "402030", "507090"],
  ["e0a060", "101820", "909040"],
  ["80a080", "302820", "c0d0b0"],
  ["b06050", "203040", "a0a0a0"],
];

function common(r: Rng) {
  const palette = PALETTES[Math.floor(r() * PALETTES.length)]!;
  return {
    seed: Math.floor(r() * 2 ** 31),
    noiseSeed: Math.floor(r() * 2 ** 31),
    ratio: (0.3 + 0.4 * r()).toFixed(3),
    mold: 4 + Math.floor(r() * 12),
    colors: `life_color=#${palette[0]}:death_color=#${palette[1]}:mold_color=#${palette[2]}`,
    phase: (r() * 6.283).toFixed(3),
    // Life changes fastest right after its random start; skipping a random lead-in keeps "how
    // busy is the scene" from tracking the clip length.
    skip: Math.floor(r() * 60),
  };
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** A real clip, width×height at fps. `cell` = on-screen size of a life cell in pixels. */
export function realRecipe(r: Rng, width: number, height: number, fps: number): Recipe {
  const c = common(r);
  const frames = 32 + Math.floor(r() * 61);
  const cell = 4;
  const margin = 1.25;
  const gw = Math.ceil((width * margin) / cell);
  const gh = Math.ceil((height * margin) / cell);
  const blur = (0.8 + 1.6 * r()).toFixed(2);
  const amp = (0.5 + 7.5 * r()).toFixed(2);
  const f1 = (0.5 + 1.5 * r()).toFixed(3);
  const f2 = (0.5 + 1.5 * r()).toFixed(3);
  const noise = Math.round(1 + 9 * r());
  const chroma = Math.max(1, Math.round(noise / 2));
  const graph =
    `life=s=${gw}x${gh}:random_seed=${c.seed}:ratio=${c.ratio}:mold=${c.mold}:${c.colors}:rate=${fps},trim=start_frame=${c.skip},setpts=PTS-STARTPTS,` +
    `scale=${gw * cell}:${gh * cell}:flags=neighbor,gblur=sigma=${(cell * 0.6).toFixed(2)},gblur=sigma=${blur},` +
    `crop=${width}:${height}:x='(iw-ow)/2+${amp}*sin(2*PI*t*${f1}+${c.phase})':y='(ih-oh)/2+${amp}*sin(2*PI*t*${f2}+${c.phase}*2)',` +
    `format=yuv420p,noise=c0s=${noise}:c0f=t+u:c1s=${chroma}:c1f=t+u:c2s=${chroma}:c2f=t+u:all_seed=${c.noiseSeed}`;
  return { frames, graph };
}

/** A fake clip: rendered at 1/factor size, smoothed, up-sampled, flickering, 8 frames. */
export function fakeRecipe(r: Rng, width: number, height: number, fps: number): Recipe {
  const c = common(r);
  const factor = 2 + 1.5 * r();
  const margin = 1.1;
  const sw = even((width * margin) / factor);
  const sh = even((height * margin) / factor);
  const bigW = even(width * margin);
  const bigH = even(height * margin);
  const amp = (7 * r()).toFixed(2);
  const f1 = (0.3 + 1.7 * r()).toFixed(3);
  const cell = 4 / factor;
  const gw = Math.ceil(sw / cell);
  const gh = Math.ceil(sh / cell);
  const smooth = (0.6 + 1.2 * r()).toFixed(2);
  const flicker = (0.01 + 0.04 * r()).toFixed(3);
  const noise = Math.round(7 * r());
  const graph =
    `life=s=${gw}x${gh}:random_seed=${c.seed}:ratio=${c.ratio}:mold=${c.mold}:${c.colors}:rate=${fps},trim=start_frame=${c.skip},setpts=PTS-STARTPTS,` +
    `scale=${sw}:${sh}:flags=bilinear,gblur=sigma=${smooth},scale=${bigW}:${bigH}:flags=bicubic,` +
    `crop=${width}:${height}:x='(iw-ow)/2+${amp}*sin(2*PI*t*${f1}+${c.phase})':y='(ih-oh)/2+${amp}*cos(2*PI*t*${f1})',` +
    `eq=brightness='${flicker}*sin(n*2.1+${c.phase})':eval=frame,format=yuv420p` +
    (noise > 0 ? `,noise=c0s=${noise}:c0f=t+u:all_seed=${c.noiseSeed}` : "");
  return { frames: 8, graph };
}
