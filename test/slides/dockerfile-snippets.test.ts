import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { changedLines, DOCKERFILE_SNIPPET, excerpt, renderSnippet, stageLines, starterOf } from '../../slides/setup/dockerfile-snippets.js';

const STARTER = `# starter
FROM golang:1.24-trixie
WORKDIR /src
COPY . .
RUN go build -o /app .
CMD ["/app"]
`;

const SOLUTION = `# A solution.

# --- build ---
FROM golang:1.24-trixie AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app .

# --- runtime ---
# nothing but the binary
FROM scratch AS runtime
COPY --from=build /out/app /app
USER 65532:65532
CMD ["/app"]
`;

/**
 * Comments Docker would not take as comments: a `#` is a comment only at the start of a line,
 * so after an instruction it is an argument (`FROM golang AS build # …` fails, `COPY a b # …`
 * copies to the wrong place, `CMD ["/app"] # …` becomes the shell form). Only RUN's shell reads
 * it as a comment, and there not before a `\` that continues the line (the rest would be
 * commented out). Returns each such line, 1-based.
 */
function trailingComments(text: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  const lines = text.split('\n');
  let instruction: string | undefined; // the instruction the current line continues, if any
  let heredoc: string | undefined;
  lines.forEach((line, i) => {
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      return;
    }
    if (/^\s*(#|$)/.test(line)) return; // a comment line, or a blank one (both allowed inside a continuation)
    if (instruction === undefined) instruction = /^\s*([A-Za-z]+)/.exec(line)?.[1]?.toUpperCase();
    // Quoted strings may hold a '#'; what is left is what Docker splits into arguments.
    const bare = line.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, '""');
    const continues = /\\\s*$/.test(line);
    if (/\s#/.test(bare) && (instruction !== 'RUN' || continues)) found.push({ line: i + 1, text: line });
    heredoc = /<<-?\s*["']?(\w+)["']?/.exec(line)?.[1] ?? heredoc;
    if (!continues) instruction = undefined;
  });
  return found;
}

describe('Dockerfile snippets on slides', () => {
  it('finds a comment after an instruction, which Docker would read as arguments', () => {
    const snippet = [
      'FROM golang:1.24-trixie AS build   # the toolchain',
      '# a comment on its own line',
      'ARG TARGETOS TARGETARCH   # set by --platform',
      'LABEL note="a # inside quotes"',
      'RUN make   # a shell comment: fine',
      'RUN apt-get update \\',
      '    # a comment line inside a continuation: Docker drops it',
      ' && apt-get install -y gcc   # the end of the command: fine',
      'RUN make # swallows the next line \\',
      ' && make test',
      'CMD ["/app"]   # no longer JSON',
    ].join('\n');
    expect(trailingComments(snippet).map((c) => c.line)).toEqual([1, 3, 9, 11]);
  });

  it('no Dockerfile snippet typed on a slide puts a comment after an instruction (it builds if copied)', () => {
    const wrong: string[] = [];
    const slides = path.join(REPO_ROOT, 'slides');
    let snippets = 0;
    for (const entry of readdirSync(slides, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.md')) continue;
      const file = path.join(entry.parentPath, entry.name);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^```dockerfile\b[^\n]*\n([\s\S]*?)^```/gim)) {
        snippets++;
        const first = text.slice(0, m.index).split('\n').length + 1;
        for (const c of trailingComments(m[1]!)) wrong.push(`${path.relative(REPO_ROOT, file)}:${first + c.line - 1}: ${c.text.trim()}`);
      }
    }
    expect(snippets, 'Dockerfile snippets typed on the slides').toBeGreaterThan(5);
    expect(wrong, 'move each comment onto a line of its own, above its instruction').toEqual([]);
  });

  it('finds each named stage with the comment lines right above its FROM, and no trailing blank line', () => {
    expect(Object.fromEntries(stageLines(SOLUTION.split('\n')))).toEqual({ build: { first: 3, last: 7 }, runtime: { first: 9, last: 14 } });
  });

  it('marks the instruction lines the starter does not have, never comments or blank lines', () => {
    expect(changedLines(SOLUTION.split('\n'), STARTER.split('\n'), 1, 14)).toEqual([4, 7, 11, 12, 13]);
  });

  it("shows one stage with the file's own line numbers, highlights resolved by content", () => {
    const shown = excerpt({ file: 'x', text: SOLUTION, stages: 'runtime', steps: '"COPY --from"|changed|all', starter: STARTER });
    expect(shown.startLine).toBe(9);
    expect(shown.code.split('\n')[0]).toBe('# --- runtime ---');
    expect(shown.ranges).toBe('12|11-13|all');
  });

  it('spans several stages, first to last', () => {
    const shown = excerpt({ file: 'x', text: SOLUTION, stages: 'build,runtime' });
    expect([shown.startLine, shown.code.split('\n').length]).toEqual([3, 12]);
  });

  it('fails the build, naming the file, for a stage, a text or a change that is not there', () => {
    expect(() => excerpt({ file: 'lab.Dockerfile', text: SOLUTION, stages: 'deps' })).toThrow(
      /lab\.Dockerfile has no stage named "deps" \(its named stages: build, runtime\)/,
    );
    expect(() => excerpt({ file: 'x', text: SOLUTION, steps: '"npm ci"' })).toThrow(/no line in 1-14 contains "npm ci"/);
    expect(() => excerpt({ file: 'x', text: SOLUTION, steps: 'changed' })).toThrow(/"changed" needs a solution Dockerfile/);
    expect(() => excerpt({ file: 'x', text: STARTER, steps: 'changed', starter: STARTER })).toThrow(/no line in 1-6 differs from the starter/);
    expect(() => excerpt({ file: 'x', text: SOLUTION, steps: 'FROM' })).toThrow(/"FROM" is not a line, a range, "text", changed or all/);
  });

  it("turns a slide's <<< line into a Slidev code block over a real lab's solution, compared with its starter", () => {
    const line = '<<< @/../solutions/lab1-go/Dockerfile#runtime {changed}';
    const m = new RegExp(DOCKERFILE_SNIPPET.source, 'm').exec(line)!;
    expect(m.slice(1, 4)).toEqual(['@/../solutions/lab1-go/Dockerfile', 'runtime', 'changed']);
    const slides = path.join(REPO_ROOT, 'slides');
    const block = renderSnippet(
      m[1]!,
      m[2],
      m[3],
      m[4],
      (ref) => path.resolve(slides, ref.slice(2)),
      (f) => readFileSync(f, 'utf8'),
    );
    expect(block).toMatch(/^```dockerfile \{[\d,-]+\}\{lines:true,startLine:\d+\}\n/);
    expect(block).toContain('FROM scratch');
    expect(block).not.toContain('FROM golang');
    expect(starterOf(path.join(REPO_ROOT, 'solutions', 'lab1-go', 'Dockerfile'))).toBe(path.join(REPO_ROOT, 'labs', 'lab1-go', 'Dockerfile'));
  });

  it('leaves other snippets to Slidev', () => {
    expect(new RegExp(DOCKERFILE_SNIPPET.source, 'm').test('<<< @/snippets/app.ts#region {2}')).toBe(false);
  });
});
