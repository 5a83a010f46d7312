// `dfd dag`: the stage graph as text, mermaid or dot, each stage marked by status.
import { execute, type StageOutcome } from "../runner/executor.js";
import { openProject } from "../runner/project.js";
import { guard, type Io } from "./common.js";

type State = "fresh" | "stale" | "skipped";
const stateOf = (o: StageOutcome): State => (o.status === "cached" ? "fresh" : o.notNeeded || o.status === "skipped" ? "skipped" : "stale");
const MARK: Record<State, string> = { fresh: "✓", stale: "✗", skipped: "-" };

export function dagCommand(io: Io, file: string, flags: { format?: string }): Promise<number> {
  return guard(io, async () => {
    const project = await openProject(file, { registry: io.registry });
    try {
      const { pipeline } = project;
      const r = await execute(pipeline, { store: project.store, mode: "plan", artifactsDir: project.artifactsDir });
      const st = new Map(r.stages.map((o) => [o.name, stateOf(o)]));
      const stages = pipeline.order.map((n) => pipeline.stages.get(n)!);
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
  });
}
