// dfd's version (package.json), for the writer field of remote records.
// (Replaced by the runner's dfdVersionOf once that lands on main.)
import { readFileSync } from "node:fs";

let version: string | undefined;
export function dfdVersion(): string {
  if (version) return version;
  try {
    version = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: string }).version;
  } catch { /* not found from here */ }
  return (version ??= "unknown");
}
