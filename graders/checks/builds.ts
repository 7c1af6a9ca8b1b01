import { instructionOfStep } from '../build/steps.js';
import { describe } from '../lint/dockerfile.js';
import { oneLine } from '../format/text.js';
import { fail, pass, type Check, type Evidence, type Verdict } from './types.js';

/** `exit code: 1` from BuildKit's error text. */
function exitCode(error: string): string | undefined {
  return /exit code: (\d+)/.exec(error)?.[1];
}

/**
 * `builds` for a lab whose folder is `labs/<lab>`. Its messages carry the student's text
 * (Dockerfile lines, a step's output): every control character is shown, never sent raw.
 */
export const builds = (lab = '<lab>'): Check => ({
  id: 'builds',
  title: 'the Dockerfile builds from the lab folder',
  hint: `Read the first error above: the Dockerfile line it names, and the last lines the failing step printed. Build it yourself with \`docker build labs/${lab}\` to iterate faster.`,
  slide: 'slides/02-multi-stage.md#3',
  needs: [],
  evaluate(evidence) {
    const verdict = judge(evidence);
    return { ...verdict, message: oneLine(verdict.message) };
  },
});

function judge({ lint, refusal, build }: Evidence): Verdict {
    if (!lint.ok) {
      return fail(`the Dockerfile does not parse: ${lint.problem.message}`, { line: lint.problem.line }, 'Fix the line it names: every Dockerfile starts with FROM, and each line starts with an instruction such as RUN, COPY or CMD.');
    }
    if (refusal) {
      return fail(`refused: ${refusal.message}`, { line: refusal.line }, refusal.hint ?? 'The grader builds only what the lab folder and the Dockerfile hold, from the images the lab allows; change the line it names.');
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
}
