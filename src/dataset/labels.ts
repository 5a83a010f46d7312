// Class names: what a folder or manifest label may say, and what it means. 1 = fake, 0 = real.
export type Label = "real" | "fake";

const REAL = ["real", "reals", "authentic", "genuine", "pristine", "original", "0"];
const FAKE = ["fake", "fakes", "ai", "generated", "ai-generated", "deepfake", "deepfakes", "synthetic", "1"];

/** "real" / "fake" for a known class name (case-insensitive), else null. */
export function normalizeLabel(raw: string): Label | null {
  const s = raw.trim().toLowerCase();
  if (REAL.includes(s)) return "real";
  if (FAKE.includes(s)) return "fake";
  return null;
}

export const KNOWN_LABELS = `real (also ${REAL.slice(1, -1).join(", ")}, 0) or fake (also ${FAKE.slice(1, -1).join(", ")}, 1)`;
