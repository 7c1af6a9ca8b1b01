import { formatCount } from '../format/bytes.js';
import { describe, MAX_INSTRUCTIONS, MAX_STAGES, type DockerInstruction, type ParsedDockerfile } from './dockerfile.js';

/**
 * What the grader refuses to build, whatever the lab: a Dockerfile that would reach
 * beyond its submission (a URL fetched by the engine on the grading machine, say). A
 * refusal fails `builds` with one line, and nothing is built.
 */
export interface Refusal {
  /** The Dockerfile line to look at, when one line is the cause. */
  line?: number;
  /** One line: what was refused, and what to write instead. */
  message: string;
}

/** What a rule may read besides the Dockerfile: the lab's and the instructor's choices. */
export interface PolicyContext {
  /** The lab needs a package index during the build (npm, apt): RUN steps get a network. */
  buildNetwork?: boolean;
}

/** One rule: its id (for tests and docs) and a pure function of the parsed Dockerfile. */
export interface PolicyRule {
  id: string;
  refuse(df: ParsedDockerfile, ctx: PolicyContext): Refusal | undefined;
}

const instructions = (df: ParsedDockerfile): DockerInstruction[] => df.stages.flatMap((s) => [s.from, ...s.instructions]);

/** `ADD https://…` is fetched by the engine itself, on the grading machine, where loopback services live. */
const addUrl: PolicyRule = {
  id: 'add-url',
  refuse(df) {
    const add = instructions(df).find((i) => i.keyword === 'ADD' && /(^|\s)(https?|git|ssh):\/\/|(^|\s)git@/i.test(i.args));
    if (!add) return undefined;
    return {
      line: add.line,
      message: `line ${add.line}: \`${describe(add)}\` downloads from a URL; the grader builds only from the lab folder: put the file in the folder and COPY it`,
    };
  },
};

/**
 * `RUN --network=host` would put the step on the grading machine's own network (its
 * loopback services, every published container port); `RUN --security=insecure` would run
 * it with every privilege. BuildKit grants neither without an entitlement the grader never
 * asks for, but a clear refusal beats a build error about entitlements.
 */
const privilegedRun: PolicyRule = {
  id: 'run-entitlement',
  refuse(df) {
    for (const ins of instructions(df)) {
      if (ins.keyword !== 'RUN') continue;
      const network = ins.flags.network?.toLowerCase();
      const security = ins.flags.security?.toLowerCase();
      const asked = network === 'host' ? 'the grading machine\'s own network' : security === 'insecure' ? 'every privilege of the grading machine' : undefined;
      if (!asked) continue;
      return {
        line: ins.line,
        message: `line ${ins.line}: \`${describe(ins)}\` asks for ${asked}; graded builds never get it: remove the ${network === 'host' ? '--network=host' : '--security=insecure'} flag`,
      };
    }
    return undefined;
  },
};

/** Hundreds of stages or thousands of instructions: no lab needs them, and BuildKit would run the stages side by side. */
const tooLarge: PolicyRule = {
  id: 'too-large',
  refuse(df) {
    if (df.stages.length > MAX_STAGES) {
      const line = df.stages[MAX_STAGES]!.from.line;
      return { line, message: `the Dockerfile has ${formatCount(df.stages.length)} stages (FROM lines); the grader builds at most ${MAX_STAGES}, and a lab needs two to four` };
    }
    const count = df.stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    if (count > MAX_INSTRUCTIONS) {
      return { message: `the Dockerfile has ${formatCount(count)} instructions; the grader builds at most ${MAX_INSTRUCTIONS}, and a lab needs a few dozen` };
    }
    return undefined;
  },
};

/** Every rule, in the order they are tried; the first refusal is reported. */
export const POLICY: readonly PolicyRule[] = [tooLarge, addUrl, privilegedRun];

/** The first rule this Dockerfile breaks, or undefined when it may be built. */
export function vet(df: ParsedDockerfile, ctx: PolicyContext = {}, rules: readonly PolicyRule[] = POLICY): Refusal | undefined {
  for (const rule of rules) {
    const refusal = rule.refuse(df, ctx);
    if (refusal) return refusal;
  }
  return undefined;
}
