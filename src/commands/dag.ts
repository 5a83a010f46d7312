// `dfd dag`: the stage graph as text, mermaid, dot or JSON, each stage marked by its planned state.
import { plan, stateOf, type StageOutcome } from "../runner/plan.js";
import { renderReasons } from "../runner/reasons.js";
import { guard, openQuestion, pipelineFile, type Io } from "./common.js";

type State = "fresh" | "stale" | "skipped";
const dagState = (o: StageOutcome): State => (o.notNeeded ? "skipped" : stateOf(o) === "blocked" ? "skipped" : stateOf(o) === "fresh" ? "fresh" : "stale");
const MARK: Record<State, string> = { fresh: "✓", stale: "✗", skipped: "-" };

export function dagCommand(io: Io, file: string | undefined, flags: { pipeline?: string; format?: string; set?: string[]; run?: string; json?: boolean }): Promise<number> {
  return guard(io, async () => {
    const q = await openQuestion(io, pipelineFile(file, flags.pipeline), flags);
    const { project } = q;
    try {
      const { pipeline } = project;
      const outcomes = await plan(pipeline, { store: project.store, artifactsDir: project.artifactsDir });
      const by = new Map(outcomes.map((o) => [o.name, o]));
      const st = new Map(outcomes.map((o) => [o.name, dagState(o)]));
      const stages = pipeline.order.map((n) => pipeline.stages.get(n)!);
      if (q.note) io.err(q.note + "\n");
      if (flags.json || flags.format === "json") {
        io.out(JSON.stringify({
          ...(q.run ? { run: q.run.id } : {}),
          stages: stages.map((s) => ({ name: s.name, kind: s.kindName, needs: s.needs, state: st.get(s.name), reasons: renderReasons(by.get(s.name)?.reasons ?? []) })),
        }) + "\n");
        return 0;
      }
      const id = (n: string) => n.replace(/[^A-Za-z0-9_]/g, "_");
      const lines: string[] = [];
      if (flags.format === "mermaid") {
        lines.push("graph TD");
        for (const s of stages) lines.push(`  ${id(s.name)}["${s.name} (${s.kindName})"]:::${st.get(s.name)}`);
        for (const s of stages) for (const n of s.needs) lines.push(`  ${id(n)} --> ${id(s.name)}`);
        lines.push("  classDef fresh fill:#d4f4dd,stroke:#2b8a3e", "  classDef stale fill:#ffe3e3,stroke:#c92a2a", "  classDef skipped fill:#eee,stroke:#999");
      } else if (flags.format === "dot") {
        const color: Record<State, string> = { fresh: "palegreen", stale: "lightpink", skipped: "lightgray" };
        lines.push("digraph dfd {", "  rankdir=LR;", "  node [shape=box, style=filled];");
        for (const s of stages) lines.push(`  "${s.name}" [label="${s.name}\\n${s.kindName} · ${st.get(s.name)}", fillcolor=${color[st.get(s.name)!]}];`);
        for (const s of stages) for (const n of s.needs) lines.push(`  "${n}" -> "${s.name}";`);
        lines.push("}");
      } else {
        for (const s of stages) {
          const state = st.get(s.name)!;
          lines.push(`${MARK[state]} ${s.name} (${s.kindName}) ${state}${s.needs.length ? ` ← ${s.needs.join(", ")}` : ""}`);
        }
      }
      io.out(lines.join("\n") + "\n");
      return 0;
    } finally {
      await project.close();
    }
  }, (flags.json || flags.format === "json") && { stages: [] });
}
