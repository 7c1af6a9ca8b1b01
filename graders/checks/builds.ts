import { describe, type ParsedDockerfile } from '../lint/dockerfile.js';
import type { BuildStep } from '../build/build.js';
import { fail, pass, type Check } from './types.js';

/** `[build 4/5] RUN go build .` → the Dockerfile instruction it ran, by stage and text. */
export function instructionOfStep(step: BuildStep, df: ParsedDockerfile) {
  const m = /^\[(?:(\S+) )?\d+\/\d+\] (\S+)\s*(.*)$/.exec(step.name);
  if (!m) return undefined;
  const [, stageName, keyword, rest] = m as unknown as [string, string | undefined, string, string];
  const stages = df.stages.filter((s) =>
    stageName === undefined ? true : s.name === stageName.toLowerCase() || `stage-${s.index}` === stageName,
  );
  const words = rest.replace(/^(--\S+\s+)+/, '').slice(0, 40);
  for (const stage of stages) {
    const candidates = [stage.from, ...stage.instructions].filter((i) => i.keyword === keyword.toUpperCase());
    const hit = candidates.find((i) => i.args.startsWith(words) || words.startsWith(i.args.slice(0, 40))) ?? candidates[0];
    if (hit) return hit;
  }
  return undefined;
}

/** `exit code: 1` from BuildKit's error text. */
function exitCode(error: string): string | undefined {
  return /exit code: (\d+)/.exec(error)?.[1];
}

export const builds = (): Check => ({
  id: 'builds',
  title: 'the Dockerfile builds from the lab folder',
  hint: 'Read the first error above: the Dockerfile line it names, and the last lines the failing step printed. Build it yourself with `docker build labs/<lab>` to iterate faster.',
  slide: 'slides/02-multi-stage.md#2',
  needs: [],
  evaluate({ lint, build }) {
    if (!lint.ok) {
      return fail(`the Dockerfile does not parse: ${lint.problem.message}`, { line: lint.problem.line }, 'Fix the line it names: every Dockerfile starts with FROM, and each line starts with an instruction such as RUN, COPY or CMD.');
    }
    if (!build) return fail('the build did not run');
    if (build.ok) return pass(`built in ${(build.durationMs / 1000).toFixed(1)} s`);
    const step = build.failedStep;
    const ins = step ? instructionOfStep(step, lint.dockerfile) : undefined;
    const where = ins ? `\`${describe(ins)}\` (Dockerfile line ${ins.line})` : step ? `step ${step.name}` : 'the build';
    const code = exitCode(build.error ?? '');
    const lastLine = step?.tail.at(-1);
    const what = build.timedOut
      ? build.error
      : `${where} failed${code ? ` with exit code ${code}` : ''}${lastLine ? `: ${lastLine.trim()}` : !step ? `: ${build.error}` : ''}`;
    return fail(what ?? 'the build failed', {
      line: ins?.line,
      step: step?.name,
      error: build.error,
      output: step?.tail,
    });
  },
});
