// Which decoded frames become rows: `frames: N` → exactly N indices spread uniformly (repeating
// frames of shorter clips), else at most `max_frames` spread uniformly, else all. Uniform =
// the centre of each of N equal slices, so the pick does not favour the clip's start.
export function sampleIndices(total: number, p: { frames: number | null; max_frames: number | null }): number[] {
  if (total <= 0) return [];
  const n = p.frames ?? (p.max_frames !== null && total > p.max_frames ? p.max_frames : total);
  if (n === total) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.min(total - 1, Math.floor(((i + 0.5) * total) / n)));
}

/** Up to `k` evenly spaced distinct indices (the frames the perceptual hash is taken from). */
export function spreadIndices(total: number, k: number): number[] {
  const n = Math.min(k, total);
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * total) / n));
}
