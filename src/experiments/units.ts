// Human sizes and ages for `dfd gc --max-size 2G --older-than 7d`.

const SIZE_UNITS: Record<string, number> = {
  "": 1, b: 1,
  k: 1024, kb: 1000, kib: 1024,
  m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1000 ** 4, tib: 1024 ** 4,
};

/** "500MB" → 500 000 000, "2G"/"2GiB" → 2 147 483 648, "1024" → 1024 bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m?.[2]?.toLowerCase() ?? "";
  if (!m || !(unit in SIZE_UNITS)) throw new Error(`--max-size ${JSON.stringify(text)}: expected a size like 500MB, 2G or 1.5GiB`);
  return Math.round(Number(m[1]) * SIZE_UNITS[unit]!);
}

const AGE_UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** "7d" → milliseconds; units s, m, h, d, w. */
export function parseAge(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  if (!m) throw new Error(`--older-than ${JSON.stringify(text)}: expected an age like 30m, 12h, 7d or 2w`);
  return Number(m[1]) * AGE_UNITS[m[2]!.toLowerCase()]!;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
