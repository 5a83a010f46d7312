// Types shared inside the runner.
import type { StageContext } from "../stage.js";

/** What the runner passes to a shell (`run:`) stage on top of the ordinary StageContext. */
export interface ShellStageContext extends StageContext {
  /** The `run:` command. */
  command: string;
  /** Where the stage's stdout/stderr go (its log file). */
  logFile: string;
  /** The input directories by stage name (also in `inputs`), for $DFD_INPUT_<NAME>. */
}
