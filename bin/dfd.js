#!/usr/bin/env node
// The dfd command. The TypeScript sources are compiled to dist/ by `npm install` (the `prepare`
// script) so that start-up stays fast; a fully cached `dfd run` must finish in well under a second.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const cli = fileURLToPath(new URL("../dist/src/cli.js", import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(`dfd: ${cli} is missing: run \`npm run build\` (npm install does it) first.\n`);
  process.exit(2);
}
const { main } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv);
