// `uses: shell` — a shell command with declared deps and free-form params, like DVC. The `run:`
// sugar in pipeline.yaml (`run:` + `deps:` + `params:`) is this kind with those params.
// The command gets $DFD_OUT (its output dir), $DFD_INPUT_<NAME> per needed stage, $DFD_PARAMS
// (a JSON file of its free-form params), $DFD_DATA (the data set, when set) and $DFD_TMP (scratch).
import type { Json, ParamsSpec } from "../../src/params.js";
import { defineStage } from "../../src/stage.js";

export interface ShellParams {
  command: string;
  deps: string[];
  [param: string]: Json;
}

export const shellParams: ParamsSpec = {
  command: { type: "string", doc: "the shell command (sh -c), run in the pipeline's directory; `run:` in the short form" },
  deps: { type: "array", items: { type: "path" }, default: [], doc: "files/directories (relative to pipeline.yaml) whose content is part of the key" },
  "*": { type: "json", doc: "free-form params, written to the JSON file $DFD_PARAMS" },
};

export default defineStage<ShellParams>({
  kind: "shell",
  description: "A shell command (`run:`) with declared `deps:` and `params:`; writes into $DFD_OUT",
  params: shellParams,
  // The data set is an input only when the command can see it.
  usesData: (p) => p.command.includes("DFD_DATA"),
  async run(ctx) {
    const { runShell } = await import("./run-shell.js");
    await runShell(ctx);
  },
});
