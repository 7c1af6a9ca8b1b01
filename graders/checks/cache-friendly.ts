import { inDockerfileOrder } from '../buildkit/steps.js';
import type { BuildStep } from '../buildkit/build.js';
import { describe, type DockerInstruction, type ParsedDockerfile } from '../lint/dockerfile.js';
import { ECOSYSTEMS, installsDependencies, runCommandText, runScript, type Ecosystem } from './install-step.js';
import { CHECK_INFO, fillIn } from './registry.js';
import { fail, pass, type Check } from './types.js';

export interface CacheFriendlyOptions {
  /**
   * The package managers whose dependency install counts: a RUN step is the install when one
   * of its commands installs a project's dependencies with one of them (`npm ci`,
   * `corepack pnpm install`, `yarn`, `pip install -r …`, `go mod download`), not a tool.
   */
  installs: Ecosystem[];
}

/** What a RUN step runs (install-step's runScript), from its instruction or, failing that, from BuildKit's name for it. */
function runScriptOf(l: Located, escape?: string): string | undefined {
  if (l.instruction) {
    if (l.instruction.keyword.toUpperCase() !== 'RUN') return undefined;
    return runScript(l.instruction.raw ?? `RUN ${l.instruction.args}`, escape);
  }
  const m = /^\[[^\]]*\]\s*RUN\s+([\s\S]*)$/.exec(l.step.name);
  return m ? runCommandText(m[1]!) : undefined;
}

interface Located {
  step: BuildStep;
  instruction?: DockerInstruction;
}

/** The Dockerfile's steps, in its order (whatever order the engine reported them in). */
function locate(steps: BuildStep[], df: ParsedDockerfile): Located[] {
  return inDockerfileOrder(
    steps.filter((s) => /^\[/.test(s.name) && !s.name.startsWith('[internal]')),
    df,
  );
}

/** `[build 3/7] RUN …` → `build`; `[3/7] RUN …` (a one-stage build) → ''. */
const stageOf = (step: BuildStep) => /^\[(?:(\S+) )?\d+\/\d+\]/.exec(step.name)?.[1] ?? '';

/** The first COPY before `install` in its stage that the edit invalidated: the reason it re-ran. */
function culprit(install: Located, all: Located[]): Located | undefined {
  const stage = stageOf(install.step);
  const before = all.slice(0, all.indexOf(install)).filter((l) => stageOf(l.step) === stage);
  return before.find((l) => /\] (COPY|ADD) /.test(l.step.name) && !l.step.cached);
}

/** The rebuild edits the lab app's `edit` file (the lab declares it), then builds again. */
export const cacheFriendly = (opts: CacheFriendlyOptions): Check => ({
  id: 'cache-friendly',
  ...CHECK_INFO['cache-friendly'],
  hint: fillIn(
    CHECK_INFO['cache-friendly'].hint,
    'the dependency manifests',
    `the dependency manifests (${opts.installs.map((e) => ECOSYSTEMS[e].manifests).join('; ')})`,
  ),
  needs: ['rebuild'],
  evaluate({ lint, rebuild }) {
    if (!lint.ok || !rebuild) return fail('there was no rebuild');
    const touched = rebuild.touched;
    if (!rebuild.build.ok) return fail(`the rebuild after editing ${touched} failed: ${rebuild.build.error}`);
    const all = locate(rebuild.build.steps, lint.dockerfile);
    const installs = all.filter((l) => {
      const script = runScriptOf(l, lint.dockerfile.escape);
      return script !== undefined && installsDependencies(script, opts.installs);
    });
    if (installs.length === 0) {
      const commands = opts.installs.map((e) => ECOSYSTEMS[e].commands).join('; ');
      return fail(
        `no RUN step installs the dependencies from ${opts.installs.map((e) => ECOSYSTEMS[e].manifests).join(' or ')} (such as ${commands}), so there is no install layer to reuse`,
        { touched },
        `Install the dependencies in a RUN step of their own, after copying only the manifests and before copying the sources (${commands}). Installing a package manager itself (\`npm install -g pnpm\`, \`corepack enable\`) is not the dependency install.`,
      );
    }
    const rerun = installs.find((l) => !l.step.cached);
    const name = (l: Located) => (l.instruction ? `\`${describe(l.instruction)}\` (line ${l.instruction.line})` : l.step.name);
    const details = { touched, installSteps: installs.map((l) => ({ step: l.step.name, cached: l.step.cached, line: l.instruction?.line })) };
    if (!rerun) return pass(`after editing ${touched}, ${installs.map(name).join(' and ')} came from the cache`, details);
    const cause = culprit(rerun, all);
    return fail(
      `after editing ${touched}, ${name(rerun)} ran again${cause ? `: ${name(cause)} before it copies the edited file, so every source change invalidates the install` : ''}`,
      details,
    );
  },
});
