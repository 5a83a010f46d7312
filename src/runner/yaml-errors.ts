// YAML syntax errors in pipeline.yaml, turned into messages a newcomer can act on, at the place the
// mistake was made: an unclosed `{`/`[`/quote where it was opened (the parser only notices lines
// later), a duplicate key named in full at its second occurrence, and a hint for each common slip
// (an unquoted command containing ": ", a tab, a missing space after a colon or a dash, a value
// that starts with a YAML indicator).
import { CST, Parser, isPair, isScalar, visit, type Document, type LineCounter, type YAMLError } from "yaml";

export interface YamlProblem {
  /** [start, end) offsets in the source. */
  span: readonly [number, number];
  message: string;
}

/** The document's syntax errors, explained (several parser errors about one slip become one). */
export function explainYamlErrors(source: string, errors: readonly YAMLError[], lc: LineCounter): YamlProblem[] {
  const out: YamlProblem[] = [];
  const lines = source.split("\n");
  const lineStart = (line: number) => lc.lineStarts[line - 1] ?? source.length;
  const handledLines = new Set<number>();
  let tabLines: number[] = [];
  let tokens: CST.Token[] | undefined;
  const cst = () => (tokens ??= [...new Parser().parse(source)]);

  for (const e of errors) {
    const { line } = lc.linePos(e.pos[0]);
    const text = lines[line - 1] ?? "";
    const first = e.message.split("\n")[0]!;
    if (e.code === "TAB_AS_INDENT") {
      tabLines.push(line);
      continue;
    }
    if (handledLines.has(line)) continue;

    // An unclosed flow collection / quote is noticed where the file stops making sense; point at
    // where it was opened.
    if (e.code === "BAD_INDENT" && /^Flow (map|sequence)/.test(first)) {
      const open = unclosedFlow(cst(), e.pos[0]);
      if (open) {
        const close = open.source === "{" ? "}" : "]";
        const what = open.source === "{" ? "mapping" : "list";
        const at = lc.linePos(e.pos[0]);
        out.push({
          span: [open.offset, open.offset + 1],
          message: `unclosed "${open.source}": the ${what} opened here has no closing "${close}" (the parser was still inside it at line ${at.line}:${at.col}); close it on this line, or quote the value if the "${open.source}" is meant literally`,
        });
        handledLines.add(line);
        continue;
      }
    }
    if (e.code === "MISSING_CHAR" && /^Missing closing/.test(first)) {
      const q = unclosedQuote(cst(), e.pos[0]);
      if (q) {
        const mark = q.source[0]!;
        out.push({
          span: [q.offset, q.offset + 1],
          message: `unclosed ${mark === '"' ? "double" : "single"} quote: the string opened here has no closing ${mark} (it runs to the end of the file)`,
        });
        handledLines.add(line);
        continue;
      }
    }

    const value = valueOf(text);
    const missingSpace = /^(\s*(?:-\s+)?)([A-Za-z_][\w.-]*):(?![\s/\\]|$)/.exec(text);
    if ((e.code === "MISSING_CHAR" || e.code === "BAD_INDENT") && /^\s*-[^\s-]/.test(text)) {
      const col = text.indexOf("-");
      out.push({ span: [lineStart(line) + col, lineStart(line) + col + 1], message: `a list item needs a space after the dash: "- ${text.slice(col + 1).trim()}"` });
    } else if (e.code === "BLOCK_AS_IMPLICIT_KEY" && value && /:(\s|$)/.test(value.text)) {
      // `run: echo a: b` — YAML reads the second ": " as the start of a nested mapping.
      out.push({
        span: [lineStart(line) + value.col, lineStart(line) + text.length],
        message: `the value of "${value.key}:" ${/:\s/.test(value.text) ? 'contains ": "' : 'ends with ":"'}, which YAML reads as the start of a nested mapping; quote the whole value: ${value.key}: ${quote(value.text)}`,
      });
    } else if ((e.code === "BLOCK_AS_IMPLICIT_KEY" || e.code === "MULTILINE_IMPLICIT_KEY") && missingSpace) {
      const col = missingSpace[1]!.length + missingSpace[2]!.length + 1;
      out.push({
        span: [lineStart(line) + missingSpace[1]!.length, lineStart(line) + col],
        message: `missing space after "${missingSpace[2]}:": YAML reads "${text.trim()}" as one word; write "${missingSpace[2]}: ${text.slice(col).trim()}"`,
      });
    } else if (e.code === "BLOCK_AS_IMPLICIT_KEY" || e.code === "MULTILINE_IMPLICIT_KEY") {
      // `uses: demo` followed by a line indented deeper: the parser tries to continue the value.
      const next = nextContentLine(lines, line);
      if (next && indentOf(lines[next - 1]!) > indentOf(text)) {
        out.push({
          span: [lineStart(next) + indentOf(lines[next - 1]!), lineStart(next) + lines[next - 1]!.length],
          message: `line ${next} is indented deeper than line ${line}, as if it continued "${text.trim()}"; keys of one mapping start in the same column (nest under a key that ends with ":")`,
        });
        handledLines.add(next);
      } else out.push({ span: [e.pos[0], e.pos[1]], message: first });
    } else if (e.code === "BAD_INDENT" && /same column/.test(first)) {
      const prev = prevContentLine(lines, line);
      out.push({
        span: [lineStart(line), lineStart(line) + text.length],
        message: `line ${line} is indented ${indentOf(text)} spaces, but the mapping it belongs to${prev ? ` (line ${prev})` : ""} uses ${prev ? indentOf(lines[prev - 1]!) : "another"}; keys of one mapping start in the same column`,
      });
    } else if (e.code === "BAD_SCALAR_START" && value) {
      out.push({
        span: [lineStart(line) + value.col, lineStart(line) + value.col + 1],
        message: `a YAML value cannot start with "${value.text[0]}"; quote the whole value: ${value.key}: ${quote(value.text)}`,
      });
    } else if (e.code === "UNEXPECTED_TOKEN" && value && /^[[{]/.test(value.text)) {
      // `run: [ -f x ] && make` — the value started a YAML list/mapping and then went on.
      out.push({
        span: [lineStart(line) + value.col, lineStart(line) + text.length],
        message: `the value of "${value.key}:" starts with "${value.text[0]}", which YAML reads as the start of a ${value.text[0] === "[" ? "list" : "mapping"}, and then goes on; quote the whole value: ${value.key}: ${quote(value.text)}`,
      });
    } else if (e.code === "BAD_DQ_ESCAPE") {
      out.push({ span: [e.pos[0], e.pos[1]], message: `${first} in a double-quoted string; use single quotes ('…', where backslashes are literal) or double the backslash` });
    } else {
      out.push({ span: [e.pos[0], e.pos[1]], message: first });
    }
    handledLines.add(line);
  }
  if (tabLines.length) {
    tabLines = [...new Set(tabLines)];
    const l = tabLines[0]!;
    const tab = (lines[l - 1] ?? "").indexOf("\t");
    const more = tabLines.length > 1 ? ` (also on line${tabLines.length > 2 ? "s" : ""} ${tabLines.slice(1, 6).join(", ")}${tabLines.length > 6 ? ", …" : ""})` : "";
    out.unshift({ span: [lineStart(l) + Math.max(0, tab), lineStart(l) + Math.max(0, tab) + 1], message: `a tab is used for indentation${more}; YAML indents with spaces only` });
  }
  return out.sort((a, b) => a.span[0] - b.span[0]);
}

/** Duplicate keys in any mapping, named in full at the second occurrence (parse with uniqueKeys: false). */
export function duplicateKeys(doc: Document, lc: LineCounter): YamlProblem[] {
  const out: YamlProblem[] = [];
  visit(doc, {
    Map(_, map, path) {
      // The stage map gets "stage"; any other mapping "key".
      const parent = path[path.length - 1];
      const isStages = path.length === 3 && isPair(parent) && isScalar(parent.key) && parent.key.value === "stages";
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        const k = pair.key;
        if (!isScalar(k) || !k.range) continue;
        const name = String(k.value);
        const prev = seen.get(name);
        if (prev === undefined) { seen.set(name, k.range[0]); continue; }
        const p = lc.linePos(prev);
        out.push({
          span: [k.range[0], k.range[1]],
          message: isStages
            ? `duplicate stage "${name}" (first defined at line ${p.line}:${p.col}); stage names must be unique`
            : `duplicate key "${name}" (first at line ${p.line}:${p.col}); a key appears once per mapping`,
        });
      }
    },
  });
  return out;
}

/** The innermost flow collection opened before `pos` that has no closing bracket. */
function unclosedFlow(tokens: CST.Token[], pos: number): CST.FlowCollection["start"] | undefined {
  let found: CST.FlowCollection["start"] | undefined;
  for (const tok of tokens) {
    if (tok.type !== "document") continue;
    CST.visit(tok, ({ value }) => {
      if (value?.type !== "flow-collection" || value.start.offset >= pos) return;
      const want = value.start.source === "{" ? "flow-map-end" : "flow-seq-end";
      if (!value.end.some((t) => t.type === want) && (!found || value.start.offset > found.offset)) found = value.start;
    });
  }
  return found;
}

/** The quoted scalar whose closing quote is missing: the last one opened before `pos`. */
function unclosedQuote(tokens: CST.Token[], pos: number): { offset: number; source: string } | undefined {
  let found: { offset: number; source: string } | undefined;
  const consider = (t: CST.Token | undefined) => {
    if ((t?.type === "double-quoted-scalar" || t?.type === "single-quoted-scalar") && t.offset < pos && (!found || t.offset > found.offset)) found = t;
  };
  for (const tok of tokens) {
    if (tok.type !== "document") continue;
    consider(tok.value);
    CST.visit(tok, ({ key, value }) => { consider(key as CST.Token | undefined); consider(value); });
  }
  return found;
}

/** `key: value` on a line (also `- key: value`), with the value's column (0-based). */
function valueOf(text: string): { key: string; text: string; col: number } | undefined {
  const m = /^(\s*(?:-\s+)?)([^\s:#][^:#]*?):\s+(\S.*?)\s*$/.exec(text);
  if (!m) return undefined;
  const col = text.indexOf(m[3]!, m[1]!.length + m[2]!.length + 1);
  return { key: m[2]!, text: m[3]!, col };
}

/** The value as a YAML quoted string: single quotes unless it contains one. */
function quote(s: string): string {
  return s.includes("'") ? JSON.stringify(s) : `'${s}'`;
}

const indentOf = (s: string) => /^ */.exec(s)![0].length;
const isContent = (s: string | undefined) => s !== undefined && s.trim() !== "" && !s.trim().startsWith("#");

function nextContentLine(lines: string[], line: number): number | undefined {
  for (let i = line; i < lines.length; i++) if (isContent(lines[i])) return i + 1;
  return undefined;
}

function prevContentLine(lines: string[], line: number): number | undefined {
  const ind = indentOf(lines[line - 1] ?? "");
  for (let i = line - 2; i >= 0; i--) if (isContent(lines[i]) && indentOf(lines[i]!) !== ind) return i + 1;
  return undefined;
}

/** ` (missing a space after the colon? …)` for a plain scalar that looks like `key:value`. */
export function missingSpaceHint(value: unknown): string {
  if (typeof value !== "string") return "";
  const m = /^([A-Za-z_][\w.-]*):(?![\s/\\])(\S.*)$/.exec(value);
  return m ? ` (YAML read "${value}" as one word: a space is missing after the colon; write "${m[1]}: ${m[2]}")` : "";
}
