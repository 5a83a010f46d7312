// The stage DAG: cycle detection (naming the path), topological order, and the --from / --until /
// --only / --force selection.

export interface GraphNode {
  name: string;
  needs: string[];
}

/** A cycle as the list of names along it, first name repeated at the end; undefined if none. */
export function findCycle(nodes: GraphNode[]): string[] | undefined {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 1);
    stack.push(name);
    for (const dep of byName.get(name)?.needs ?? []) {
      if (!byName.has(dep)) continue;
      const s = state.get(dep);
      if (s === 1) return [...stack.slice(stack.indexOf(dep)), dep];
      if (s === undefined) {
        const c = visit(dep);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(name, 2);
    return undefined;
  };
  for (const n of nodes) {
    if (state.has(n.name)) continue;
    const c = visit(n.name);
    if (c) return c;
  }
  return undefined;
}

/** Topological order, stable with respect to declaration order. Assumes no cycle. */
export function topoOrder(nodes: GraphNode[]): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (name: string) => {
    if (done.has(name)) return;
    done.add(name);
    for (const d of byName.get(name)?.needs ?? []) if (byName.has(d)) visit(d);
    out.push(name);
  };
  for (const n of nodes) visit(n.name);
  return out;
}

export function ancestors(nodes: GraphNode[], name: string): Set<string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out = new Set<string>();
  const walk = (n: string) => {
    for (const d of byName.get(n)?.needs ?? []) if (!out.has(d)) { out.add(d); walk(d); }
  };
  walk(name);
  return out;
}

export function descendants(nodes: GraphNode[], name: string): Set<string> {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of nodes)
      if (!out.has(n.name) && n.needs.some((d) => d === name || out.has(d))) { out.add(n.name); grew = true; }
  }
  return out;
}

export interface SelectionOptions {
  from?: string;
  until?: string;
  only?: string[];
  /** undefined: no --force; []: force all; names: force those. */
  force?: string[];
}

export interface Selection {
  /** Stages this run may execute. */
  run: Set<string>;
  /** Stages only consulted for their cached output (upstream of --only). */
  cachedOnly: Set<string>;
  /** Stages to execute even when cached. */
  forced: Set<string>;
  /** Why each forced stage is forced: "--from b", "--force". */
  forcedBy: Map<string, string>;
}

export function select(nodes: GraphNode[], opts: SelectionOptions): Selection {
  const all = nodes.map((n) => n.name);
  let run = new Set(all);
  const cachedOnly = new Set<string>();
  if (opts.until) run = new Set([opts.until, ...ancestors(nodes, opts.until)]);
  if (opts.only?.length) {
    const only = new Set(opts.only);
    run = new Set([...run].filter((n) => only.has(n)));
    for (const n of only) for (const a of ancestors(nodes, n)) if (!only.has(a)) cachedOnly.add(a);
  }
  const forcedBy = new Map<string, string>();
  if (opts.force) for (const n of opts.force.length ? opts.force : all) if (run.has(n)) forcedBy.set(n, "--force");
  if (opts.from) for (const n of [opts.from, ...descendants(nodes, opts.from)]) if (run.has(n)) forcedBy.set(n, `--from ${opts.from}`);
  return { run, cachedOnly, forced: new Set(forcedBy.keys()), forcedBy };
}
