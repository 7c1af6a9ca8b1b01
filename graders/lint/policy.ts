import { describe, type DockerInstruction, type ParsedDockerfile } from './dockerfile.js';

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

/** Every rule, in the order they are tried; the first refusal is reported. */
export const POLICY: readonly PolicyRule[] = [addUrl];

/** The first rule this Dockerfile breaks, or undefined when it may be built. */
export function vet(df: ParsedDockerfile, ctx: PolicyContext = {}, rules: readonly PolicyRule[] = POLICY): Refusal | undefined {
  for (const rule of rules) {
    const refusal = rule.refuse(df, ctx);
    if (refusal) return refusal;
  }
  return undefined;
}
