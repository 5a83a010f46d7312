// The `run:` stage kind: a shell command with declared deps and params, like DVC.
// The command gets $DFD_OUT (its output dir), $DFD_INPUT_<NAME> per needed stage, $DFD_PARAMS
// (a JSON file of its params), $DFD_DATA (the data set, when set) and $DFD_TMP (scratch).
import { defineStage } from "../../src/stage.js";
import type { ShellStageContext } from "../../src/runner/types.js";

export default defineStage<Record<string, never>>({
  kind: "shell",
  description: "A shell command (`run:`) with declared `deps:` and `params:`; writes into $DFD_OUT",
  params: {},
  code: [new URL(".", import.meta.url)],
  async run(ctx) {
    const { runShell } = await import("./run-shell.js");
    await runShell(ctx as unknown as ShellStageContext);
  },
});
