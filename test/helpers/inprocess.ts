// Runs dfd's main() in this process with an injected registry (test kinds), capturing output.
import { main } from "../../src/cli.js";
import type { Registry } from "../../src/registry.js";

export async function dfdIn(registry: Registry, cwd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "dfd", ...args], { registry, cwd, live: false, out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}
