/**
 * Dockerfiles on slides, imported from labs/ and solutions/ and never copied, shown one
 * stage at a time with the lines that matter highlighted — by what they say, not by line
 * numbers that drift when a lab changes:
 *
 *   <<< @/../solutions/lab1-go/Dockerfile#build {changed}
 *   <<< @/../labs/lab1-go/Dockerfile {"FROM golang"|"COPY . ."|all}
 *
 * - `#build`: only the stage named `build` (its comment lines above FROM included);
 *   `#build,deps`: from the first of them to the end of the last. No fragment: the whole file.
 * - highlight steps, `|` between clicks, `,` inside a step: Slidev's own line numbers and
 *   ranges (`3`, `5-7`, `all`), plus `"text"` (every line containing text) and `changed`
 *   (in a solution: every instruction line its lab's starter does not have).
 * - the block shows the file's own line numbers, so they match what the grader reports.
 *
 * A stage, a text or a `changed` that matches nothing is an error: the build fails and
 * says which slide and which file, instead of highlighting the wrong lines.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface Excerpt {
  /** The lines shown. */
  code: string;
  /** The file's line number of the first line shown. */
  startLine: number;
  /** Slidev highlight steps over the file's line numbers: `3,5-7|all`. */
  ranges: string;
}

/** `<<< path#stages {steps} {options}` where path ends in Dockerfile (Slidev's own `<<<` handles the rest). */
export const DOCKERFILE_SNIPPET = /^<<<[ \t]+(\S*Dockerfile)(?:#([\w,-]+))?(?:[ \t]+dockerfile)?[ \t]*(?:\{([^}]*)\})?[ \t]*(\{[^}]*\})?[ \t]*$/gm;

const FROM = /^\s*FROM\s+\S+(?:\s+AS\s+([\w.-]+))?/i;
const isComment = (line: string) => /^\s*#/.test(line);
const isBlank = (line: string) => line.trim() === '';

/** The 1-based first and last line of each named stage, leading comment lines included. */
export function stageLines(lines: string[]): Map<string, { first: number; last: number }> {
  const starts: { name?: string; first: number }[] = [];
  lines.forEach((line, i) => {
    const m = FROM.exec(line);
    if (!m) return;
    let first = i;
    while (first > 0 && isComment(lines[first - 1]!)) first--;
    starts.push({ name: m[1], first: first + 1 });
  });
  const stages = new Map<string, { first: number; last: number }>();
  starts.forEach((s, k) => {
    let last = k + 1 < starts.length ? starts[k + 1]!.first - 1 : lines.length;
    while (last > s.first && isBlank(lines[last - 1]!)) last--;
    if (s.name) stages.set(s.name.toLowerCase(), { first: s.first, last });
  });
  return stages;
}

const normalise = (line: string) => line.trim().replace(/\s+/g, ' ');

/** Lines of `lines` (1-based, within first..last) that are instructions the starter does not have. */
export function changedLines(lines: string[], starter: string[], first: number, last: number): number[] {
  const known = new Set(starter.map(normalise));
  const changed: number[] = [];
  for (let n = first; n <= last; n++) {
    const line = lines[n - 1]!;
    if (!isBlank(line) && !isComment(line) && !known.has(normalise(line))) changed.push(n);
  }
  return changed;
}

/** `3,4,5,9` → `3-5,9` */
function compact(numbers: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; i++) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    parts.push(j > i ? `${numbers[i]}-${numbers[j]}` : `${numbers[i]}`);
    i = j;
  }
  return parts.join(',');
}

export interface ExcerptRequest {
  file: string;
  text: string;
  /** `build` or `build,deps`, or undefined for the whole file. */
  stages?: string;
  /** Highlight steps as written on the slide. */
  steps?: string;
  /** The starter's text, for `changed`. */
  starter?: string;
}

export function excerpt({ file, text, stages, steps, starter }: ExcerptRequest): Excerpt {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  let first = 1;
  let last = lines.length;
  if (stages) {
    const known = stageLines(lines);
    const picked = stages.split(',').map((name) => {
      const stage = known.get(name.toLowerCase());
      if (!stage) throw new Error(`${file} has no stage named "${name}" (its named stages: ${[...known.keys()].join(', ') || 'none'})`);
      return stage;
    });
    first = Math.min(...picked.map((s) => s.first));
    last = Math.max(...picked.map((s) => s.last));
  }
  const step = (token: string): string => {
    token = token.trim();
    if (token === 'changed') {
      if (starter === undefined) throw new Error(`${file}: "changed" needs a solution Dockerfile whose lab has a starter`);
      const changed = changedLines(lines, starter.replace(/\r\n/g, '\n').split('\n'), first, last);
      if (!changed.length) throw new Error(`${file}: no line in ${first}-${last} differs from the starter`);
      return compact(changed);
    }
    const quoted = /^"(.*)"$/.exec(token);
    if (quoted) {
      const hits: number[] = [];
      for (let n = first; n <= last; n++) if (lines[n - 1]!.includes(quoted[1]!)) hits.push(n);
      if (!hits.length) throw new Error(`${file}: no line in ${first}-${last} contains "${quoted[1]}"`);
      return compact(hits);
    }
    if (!/^(all|none|hide|\*|\d+(-\d+)?)$/.test(token)) throw new Error(`${file}: "${token}" is not a line, a range, "text", changed or all`);
    return token;
  };
  const ranges = (steps ?? '')
    .split('|')
    .filter((s) => s.trim())
    .map((s) => s.split(',').map(step).join(','))
    .join('|');
  return { code: lines.slice(first - 1, last).join('\n'), startLine: first, ranges };
}

/** solutions/<lab>/Dockerfile → labs/<lab>/Dockerfile, when there is one. */
export function starterOf(file: string): string | undefined {
  const m = /^(.*)[\\/]solutions[\\/]([^\\/]+)[\\/]Dockerfile$/.exec(file);
  const starter = m && path.join(m[1]!, 'labs', m[2]!, 'Dockerfile');
  return starter && existsSync(starter) ? starter : undefined;
}

/**
 * The code block for one Dockerfile `<<<` line (the groups of DOCKERFILE_SNIPPET); `resolve`
 * turns the path as written into a file, `read` reads it (and lets the caller watch it).
 */
export function renderSnippet(
  ref: string,
  stages: string | undefined,
  steps: string | undefined,
  options: string | undefined,
  resolve: (ref: string) => string,
  read: (file: string) => string,
): string {
  const file = resolve(ref);
  if (!existsSync(file)) throw new Error(`<<< ${ref}: no such file (${file})`);
  const starterFile = starterOf(file);
  const shown = excerpt({ file: ref, text: read(file), stages, steps, starter: starterFile && read(starterFile) });
  const extra = options
    ?.trim()
    .replace(/^\{|\}$/g, '')
    .trim();
  const meta = `{lines:true,startLine:${shown.startLine}${extra ? `,${extra}` : ''}}`;
  return `\`\`\`dockerfile {${shown.ranges || 'all'}}${meta}\n${shown.code}\n\`\`\``;
}
