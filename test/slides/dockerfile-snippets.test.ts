import { readFileSync } from 'node:fs';
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

describe('Dockerfile snippets on slides', () => {
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
