// Clusters of clips joined by pairs (near-duplicates, shared groups): the connected components of
// the pair graph, by union-find. diagnose reports near-duplicate clusters; split keeps each
// cluster (and each group) in one set.

/** Connected components of the graph whose edges are `pairs` ([a, b, ...anything]); each
 * component sorted, components ordered by their first id; only components of size ≥ 2 (ids that
 * appear in no pair are not listed). */
export function clusters(pairs: readonly (readonly [string, string, ...unknown[]])[]): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    while (x !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  for (const [a, b] of pairs) {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
  const groups = new Map<string, string[]>();
  for (const id of parent.keys()) {
    const r = find(id);
    const g = groups.get(r);
    if (g) g.push(id);
    else groups.set(r, [id]);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
