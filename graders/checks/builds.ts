import { instructionOfStep } from '../build/steps.js';
import { describe } from '../lint/dockerfile.js';
import { oneLine } from '../format/text.js';
import { fail, pass, type Check, type Evidence, type Verdict } from './types.js';

/** `exit code: 1` from BuildKit's error text. */
function exitCode(error: string): string | undefined {
  return /exit code: (\d+)/.exec(error)?.[1];
}

/** A step the grader stopped for a limit: what the limits are for, and where to look. */
const STOPPED_HINT =
  'Every build step runs under limits (memory, processes, disk written, time), so that one build cannot take the grading machine down. The step it names went past one: look for a loop that never ends, an allocation or download far larger than the app needs, or files written by the million. A build that really needs more can have it: `--build-memory`, `--build-pids`, `--build-disk`, `--step-timeout` (see `npm run grade -- --help`).';

/** A lab that builds with no network, and a step that went looking for one. */
const OFFLINE_HINT =
  'This lab builds with no network at all: everything the build needs must come from the lab folder and the base image (no apt-get, npm install or downloads). Use what the base image already has, or a base image that has what you need.';

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
  // A refusal comes first: the size is refused before the Dockerfile is parsed.
  if (refusal) {
    return fail(`refused: ${refusal.message}`, { line: refusal.line }, refusal.hint ?? 'The grader builds only what the lab folder and the Dockerfile hold, from the images the lab allows; change the line it names.');
  }
  if (!lint.ok) {
    return fail(`the Dockerfile does not parse: ${lint.problem.message}`, { line: lint.problem.line }, 'Fix the line it names: every Dockerfile starts with FROM, and each line starts with an instruction such as RUN, COPY or CMD.');
  }
  if (!build) return fail('the build did not run');
  if (build.ok) return pass(`built in ${(build.durationMs / 1000).toFixed(1)} s`, build.peaks && { usage: build.peaks });
  const step = build.failedStep;
  const ins = step ? instructionOfStep(step, lint.dockerfile) : undefined;
  const where = ins ? `\`${describe(ins)}\` (Dockerfile line ${ins.line})` : step ? `step ${step.name}` : 'the build';
  const code = exitCode(build.error ?? '');
  const lastLine = step?.tail.at(-1);
  const what = build.stopped
    ? `${where} was stopped: ${build.stopped.why}`
    : build.timedOut
      ? build.error
      : `${where} failed${code ? ` with exit code ${code}` : ''}${lastLine ? `: ${lastLine.trim()}` : !step ? `: ${build.error}` : ''}`;
  return fail(
    what ?? 'the build failed',
    { line: ins?.line, step: step?.name, error: build.error, output: step?.tail, stopped: build.stopped?.reason, usage: build.peaks },
    build.stopped ? STOPPED_HINT : build.wantedNetwork ? OFFLINE_HINT : undefined,
  );
}
