// Reading a JSON artifact file with errors that name the file and what it was expected to be.
import { existsSync, readFileSync } from "node:fs";

export function readJsonFile<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new Error(`${file}: missing (${what})`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${what}): ${(e as Error).message}`);
  }
}
