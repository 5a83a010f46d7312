// Inline-SVG plot helpers: a line chart with axes, ticks, grid and legend, and a strip of heat
// cells. Plain strings, no DOM and no browser, so a stage can write its report anywhere.
import { esc, num } from "./html.js";

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  color: string;
  dashed?: boolean;
  /** Draw dots on the points (useful when there are few). */
  dots?: boolean;
}

export interface Marker {
  x: number;
  y: number;
  color: string;
  label: string;
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Axis ranges; default: the data's extent (y padded by 5 %). */
  x?: readonly [number, number];
  y?: readonly [number, number];
  /** Dashed chance line from (x0, y0) to (x1, y1), e.g. the ROC diagonal. */
  reference?: readonly [number, number, number, number];
  /** Vertical line at x (e.g. the chosen epoch), with a label. */
  vline?: { x: number; label: string };
  markers?: readonly Marker[];
  /** Whole-number x ticks (epochs). */
  integerX?: boolean;
  /** Legend corner inside the plot area: top/bottom, left/right. Default top-left. */
  legend?: "tl" | "tr" | "bl" | "br";
  /** Shown in the plot area when there is nothing to draw. */
  emptyText?: string;
  width?: number;
  height?: number;
}

const M = { top: 30, right: 14, bottom: 42, left: 50 };

/** A line chart as an <svg> element string. Series with no points are left out of the drawing
 * but still named in the legend (struck through) so a missing curve is visible as missing. */
export function linePlot(o: LinePlotOptions): string {
  const W = o.width ?? 380;
  const H = o.height ?? 300;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const all = o.series.flatMap((s) => s.points);
  const [x0, x1] = o.x ?? padded(extent(all.map((p) => p[0])), 0);
  const [y0, y1] = o.y ?? padded(extent(all.map((p) => p[1])), 0.05);
  const sx = (x: number) => M.left + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
  const sy = (y: number) => M.top + ph - (y1 === y0 ? ph / 2 : ((y - y0) / (y1 - y0)) * ph);
  const parts: string[] = [];
  parts.push(`<svg class="plot" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<text x="${W / 2}" y="18" class="t" text-anchor="middle">${esc(o.title)}</text>`);
  // grid and ticks
  for (const t of ticks(x0, x1, 5, o.integerX)) {
    const x = f(sx(t));
    parts.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" class="g"/>`);
    parts.push(`<text x="${x}" y="${M.top + ph + 14}" class="k" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of ticks(y0, y1, 5)) {
    const y = f(sy(t));
    parts.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" class="g"/>`);
    parts.push(`<text x="${M.left - 5}" y="${f(sy(t) + 3.5)}" class="k" text-anchor="end">${tickLabel(t)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" class="frame"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 8}" class="a" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(13 ${M.top + ph / 2}) rotate(-90)" class="a" text-anchor="middle">${esc(o.yLabel)}</text>`);
  if (o.reference) {
    const [a, b, c, d] = o.reference;
    parts.push(`<line x1="${f(sx(a))}" y1="${f(sy(b))}" x2="${f(sx(c))}" y2="${f(sy(d))}" class="ref"/>`);
  }
  if (o.vline) {
    const x = f(sx(o.vline.x));
    parts.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" class="vl"><title>${esc(o.vline.label)}</title></line>`);
  }
  for (const s of o.series) {
    if (!s.points.length) continue;
    const d = pixelPath(s.points.map((p) => [sx(p[0]), sy(p[1])] as const));
    parts.push(`<path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ""}><title>${esc(s.name)}</title></path>`);
    if (s.dots) for (const p of s.points) parts.push(`<circle cx="${f(sx(p[0]))}" cy="${f(sy(p[1]))}" r="2.2" fill="${esc(s.color)}"/>`);
  }
  for (const m of o.markers ?? []) {
    parts.push(`<circle cx="${f(sx(m.x))}" cy="${f(sy(m.y))}" r="4.5" fill="#fff" stroke="${esc(m.color)}" stroke-width="2"><title>${esc(m.label)}</title></circle>`);
  }
  if (!all.length && o.emptyText) {
    parts.push(`<text x="${M.left + pw / 2}" y="${M.top + ph / 2}" class="empty" text-anchor="middle">${esc(o.emptyText)}</text>`);
  }
  // legend in a corner of the plot area, on a white box so curves under it stay readable
  const corner = o.legend ?? "tl";
  const entries: { name: string; color: string; dash?: string; missing: boolean }[] = o.series.map((s) => ({ name: s.name, color: s.color, dash: s.dashed ? "5 3" : undefined, missing: !s.points.length }));
  if (o.vline) entries.push({ name: o.vline.label, color: "#8e44ad", dash: "3 3", missing: false });
  const lw = 34 + 6.2 * Math.max(0, ...entries.map((s) => s.name.length));
  const lh = 15 * entries.length + 6;
  const lx = corner.endsWith("r") ? M.left + pw - lw - 6 : M.left + 6;
  const ly = corner.startsWith("b") ? M.top + ph - lh - 6 : M.top + 6;
  if (entries.length) parts.push(`<rect x="${f(lx)}" y="${ly}" width="${f(lw)}" height="${lh}" class="lg"/>`);
  entries.forEach((e, i) => {
    const y = ly + 15 + i * 15;
    parts.push(`<line x1="${f(lx + 6)}" y1="${y - 4}" x2="${f(lx + 24)}" y2="${y - 4}" stroke="${esc(e.color)}" stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ""}/>`);
    parts.push(`<text x="${f(lx + 29)}" y="${y}" class="l"${e.missing ? ' text-decoration="line-through"' : ""}>${esc(e.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

export interface StripOptions {
  /** Cell colour at full weight; cells scale from white. */
  color?: string;
  width?: number;
  height?: number;
  /** Tooltip per cell, e.g. "frame 3: 0.041". */
  label?: (i: number, w: number) => string;
}

/** A strip of heat cells, one per value, shaded relative to the largest value (so a strip shows
 * where the model looked even when weights are spread over many frames). */
export function heatStrip(values: readonly number[], o: StripOptions = {}): string {
  const W = o.width ?? 480;
  const H = o.height ?? 22;
  const n = Math.max(values.length, 1);
  const cw = W / n;
  const max = Math.max(...values.filter(Number.isFinite), 0);
  const color = o.color ?? "#c0392b";
  const parts = [`<svg class="strip" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="per-frame weights">`];
  parts.push(`<rect width="${W}" height="${H}" fill="#f4f4f4"/><g fill="${esc(color)}">`);
  // gaps between cells only while they stay visible; dense strips become a continuous band
  const width = f(Math.max(cw - (cw > 4 ? 1 : 0), 0.5));
  values.forEach((v, i) => {
    const op = max > 0 && Number.isFinite(v) ? Math.max(0, v / max) : 0;
    const tip = o.label ? o.label(i, v) : `frame ${i}: ${num(v, 4)}`;
    // attributes kept to the minimum (y defaults to 0, fill comes from the group): a report lists
    // ten strips of up to seq_len cells, each with its tooltip
    parts.push(`<rect x="${f(i * cw)}" width="${width}" height="${H}" fill-opacity="${String(Math.round(op * 1000) / 1000)}"><title>${esc(tip)}</title></rect>`);
  });
  parts.push("</g></svg>");
  return parts.join("");
}

/** An SVG path through pixel points, leaving out points on the same half-pixel as the previous one:
 * a curve over 10 000 clips draws the same and keeps the page small. */
function pixelPath(pts: readonly (readonly [number, number])[]): string {
  const out: string[] = [];
  let last = "";
  pts.forEach((p, i) => {
    const key = `${Math.round(p[0] * 2)},${Math.round(p[1] * 2)}`;
    if (key === last && i !== pts.length - 1) return;
    last = key;
    out.push(`${out.length ? "L" : "M"}${f(p[0])} ${f(p[1])}`);
  });
  return out.join("");
}

function extent(xs: readonly number[]): [number, number] {
  const fin = xs.filter(Number.isFinite);
  if (!fin.length) return [0, 1];
  return [Math.min(...fin), Math.max(...fin)];
}

function padded([a, b]: [number, number], frac: number): [number, number] {
  if (a === b) return [a - 0.5, b + 0.5];
  const p = (b - a) * frac;
  return [a - p, b + p];
}

/** About `count` round tick values covering [a, b] (whole numbers only when `integer`). */
export function ticks(a: number, b: number, count: number, integer = false): number[] {
  if (!(b > a)) return [a];
  const raw = integer ? Math.max(1, (b - a) / count) : (b - a) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = (integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]).map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(a / step - 1e-9) * step; t <= b + step * 1e-9; t += step) out.push(Number(t.toFixed(10)));
  return out;
}

/** Ticks are already round (see ticks()), so the shortest exact form reads best: 0.25, 1, 10. */
function tickLabel(t: number): string {
  return String(Number(t.toPrecision(6)));
}

/** Coordinates with two decimals keep the page small. */
function f(x: number): string {
  return String(Math.round(x * 100) / 100);
}
