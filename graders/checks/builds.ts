import { quote } from 'shell-quote';
import { instructionOfStep } from '../buildkit/steps.js';
import { CATALOGUE, isToolchainImage, repositoryOf } from '../images/catalogue.js';
import { describe, type ParsedDockerfile } from '../lint/dockerfile.js';
import { oneLine } from '../format/text.js';
import { CHECK_INFO, fillIn } from './registry.js';
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

/** The command that builds this Dockerfile against the lab folder, as the student can type it. */
export function buildCommand({ labFolder, dockerfile }: Pick<Evidence, 'labFolder' | 'dockerfile'>): string {
  const folder = labFolder ?? 'labs/<lab>';
  const own = !dockerfile || dockerfile.replace(/\\/g, '/') === `${folder.replace(/\\/g, '/').replace(/\/$/, '')}/Dockerfile`;
  return own ? `docker build ${quote([folder])}` : `docker build -f ${quote([dockerfile])} ${quote([folder])}`;
}

/** `docker.io/library/golang:1.24-alpine` → `golang:1.24-alpine`, as the Dockerfile likely wrote it. */
const shortRef = (ref: string) => ref.replace(/^(docker\.io\/|index\.docker\.io\/)/, '').replace(/^library\//, '');

/** The image a build could not fetch (its metadata or layers), when that is why it failed. */
function unavailableImage(stepName: string | undefined, error: string): string | undefined {
  const ref =
    /^\[internal\] load metadata for (\S+)$/.exec(stepName ?? '')?.[1] ??
    /failed to resolve source metadata for (\S+?):? /.exec(error)?.[1] ??
    /pull access denied for ([^\s,]+)/.exec(error)?.[1];
  return ref ? shortRef(ref) : undefined;
}

/** Why an image could not be fetched, in the student's words: no registry, or no such image there. */
function whyUnavailable(error: string): string {
  if (/no such host|dial tcp|i\/o timeout|connection refused|network is unreachable|TLS handshake timeout|server misbehaving|proxyconnect/i.test(error)) {
    return 'it is not on this machine, and no registry can be reached from here to pull it';
  }
  if (/not found|manifest unknown|does not exist|pull access denied|unauthorized|denied/i.test(error))
    return 'it is not on this machine, and the registry has no image of that name and tag (or wants a login)';
  return 'it is not on this machine, and pulling it failed';
}

/** Images of the catalogue (provisioned on every grading machine by `npm run images`) that can stand in for `ref`. */
export function imagesInstead(ref: string): string[] {
  const main = CATALOGUE.filter((c) => !c.variantOf);
  const same = main.filter((c) => repositoryOf(c.ref) === repositoryOf(ref));
  if (same.length) return same.map((c) => c.ref);
  const toolchain = isToolchainImage(ref);
  return main.filter((c) => c.toolchain === toolchain).map((c) => c.ref);
}

function unavailableVerdict(ref: string, error: string, df: ParsedDockerfile): Verdict {
  const from =
    df.stages.find((s) => s.baseStage === undefined && shortRef(s.base) === ref)?.from ??
    df.copies.find((c) => c.fromStage === undefined && shortRef(c.from) === ref)?.instruction;
  const where = from ? ` (\`${describe(from)}\`, Dockerfile line ${from.line})` : '';
  const instead = imagesInstead(ref);
  return fail(
    `the image ${ref}${where} could not be used: ${whyUnavailable(error)}`,
    { line: from?.line, image: ref, error },
    `Use an image this machine has. ${instead.length === 1 ? `${instead[0]} serves instead` : `These serve instead: ${instead.join(', ')}`}; every image the grader provides is listed by \`npm run images -- list\`. (On a machine with a registry, \`docker pull ${ref}\` first.)`,
  );
}

/**
 * `builds`: the Dockerfile builds from the lab folder. Its messages carry the student's text
 * (Dockerfile lines, a step's output): every control character is shown, never sent raw.
 */
export const builds = (): Check => ({
  id: 'builds',
  ...CHECK_INFO.builds,
  needs: [],
  evaluate(evidence) {
    const verdict = judge(evidence);
    const hint =
      verdict.hint ??
      (verdict.passed
        ? fillIn(CHECK_INFO.builds.hint, '<the lab folder>', evidence.labFolder ?? '<the lab folder>')
        : `Read the message above: the Dockerfile line it names, and the last line the failing step printed. Build it yourself with \`${buildCommand(evidence)}\` to iterate faster.`);
    return { ...verdict, message: oneLine(verdict.message), hint };
  },
});

function judge({ lint, refusal, build }: Evidence): Verdict {
  // A refusal comes first: the size is refused before the Dockerfile is parsed.
  if (refusal) {
    return fail(
      `refused: ${refusal.message}`,
      { line: refusal.line },
      refusal.hint ?? 'The grader builds only what the lab folder and the Dockerfile hold, from the images the lab allows; change the line it names.',
    );
  }
  if (!lint.ok) {
    return fail(
      `the Dockerfile does not parse: ${lint.problem.message}`,
      { line: lint.problem.line },
      'Fix the line it names: every Dockerfile starts with FROM, and each line starts with an instruction such as RUN, COPY or CMD.',
    );
  }
  if (!build) return fail('the build did not run');
  if (build.ok) return pass(`built in ${(build.durationMs / 1000).toFixed(1)} s`, build.peaks && { usage: build.peaks });
  const step = build.failedStep;
  const image = unavailableImage(step?.name, build.error ?? '');
  if (image && !build.stopped && !build.timedOut) return unavailableVerdict(image, build.error ?? '', lint.dockerfile);
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
