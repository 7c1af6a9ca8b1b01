import { formatCount } from '../format/bytes.js';
import { CATALOGUE, isAllowedImage } from '../images/catalogue.js';
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
  /** What to do, when the rule knows better than the general hint of `builds`. */
  hint?: string;
}

/** What a rule may read besides the Dockerfile: the lab's and the instructor's choices. */
export interface PolicyContext {
  /** The lab needs a package index during the build (npm, apt): RUN steps get a network. */
  buildNetwork?: boolean;
  /** Images allowed beyond the catalogue and the online images (the lab's, the instructor's `--allow-image`). */
  allowImages?: readonly string[];
  /** The Dockerfile's size in bytes, for rules that look at it whole. */
  bytes?: number;
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

/** `RUN --mount=type=bind,from=some/image,…` takes files from an image as FROM does. */
function mountSources(ins: DockerInstruction): string[] {
  if (ins.keyword !== 'RUN') return [];
  return (ins.mounts ?? []).flatMap((m) => /(?:^|,)from=([^,\s]+)/.exec(m)?.[1] ?? []);
}

/** The allowlist in a few words for a one-line message: the catalogue, then the online images by family. */
function allowlistInWords(extra: readonly string[]): string {
  const catalogue = CATALOGUE.filter((c) => !c.variantOf && !c.ref.startsWith('gcr.io/distroless/')).map((c) => c.ref);
  const online = ['gcr.io/distroless/… (any image and tag)', 'alpine', 'golang:…-alpine', 'node:…-alpine and …-slim', 'python:…-alpine and …-slim', 'eclipse-temurin:…'];
  return [...catalogue, ...online, ...extra.map((e) => e.replaceAll('*', '…'))].join(', ');
}

/**
 * Only known images feed a grade: every FROM, COPY --from and RUN --mount from= names a
 * stage of this Dockerfile, scratch, or an image on the allowlist. A prebuilt image (from
 * a registry, or left on the engine by an earlier --keep-image) cannot stand in for building.
 */
const knownImages: PolicyRule = {
  id: 'known-images',
  refuse(df, ctx) {
    const stages = new Set(df.stages.map((s) => s.name).filter(Boolean) as string[]);
    const isStage = (ref: string) => stages.has(ref.toLowerCase()) || (/^\d+$/.test(ref) && Number(ref) < df.stages.length);
    const uses: { ref: string; ins: DockerInstruction }[] = [
      ...df.stages.filter((s) => s.baseStage === undefined).map((s) => ({ ref: s.base, ins: s.from })),
      ...df.copies.filter((c) => c.fromStage === undefined).map((c) => ({ ref: c.from, ins: c.instruction })),
      ...instructions(df).flatMap((ins) => mountSources(ins).map((ref) => ({ ref, ins }))),
    ];
    for (const { ref, ins } of uses) {
      if (ref === 'scratch' || isStage(ref) || (ref && isAllowedImage(ref, ctx.allowImages))) continue;
      return {
        line: ins.line,
        message: `line ${ins.line}: \`${describe(ins)}\` uses ${ref ? `the image ${ref}` : 'an image named by a build argument'}, which this lab does not allow; FROM, COPY --from and RUN --mount from= may name a stage of this Dockerfile, scratch, or one of: ${allowlistInWords(ctx.allowImages ?? [])}`,
        hint: 'Build the app from the lab\'s sources in this Dockerfile, starting from one of the images listed: a prebuilt image cannot stand in for the build. An instructor can allow more images with `--allow-image`.',
      };
    }
    return undefined;
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

/** A teaching Dockerfile is a few kilobytes; a larger one carries something else. */
export const MAX_POLICY_BYTES = 16 * 1024;

/**
 * The app is built from the lab's sources, not carried in the Dockerfile: no heredoc, no
 * long base64 or hex blob, nothing far larger than a teaching Dockerfile needs.
 */
const embeddedBinary: PolicyRule = {
  id: 'embedded-binary',
  refuse(df, ctx) {
    const hint = 'Build the app in the Dockerfile from the lab\'s sources (COPY them in, compile in a build stage); the Dockerfile itself holds only instructions.';
    if (ctx.bytes !== undefined && ctx.bytes > MAX_POLICY_BYTES) {
      return { message: `the Dockerfile is ${(ctx.bytes / 1024).toFixed(0)} kB, far more than a teaching Dockerfile needs (at most ${MAX_POLICY_BYTES / 1024} kB here): it cannot carry a program, only build one`, hint };
    }
    for (const ins of instructions(df)) {
      if (/<<-?\s*["']?[A-Za-z_]\w*["']?/.test(ins.args) && ['RUN', 'COPY', 'ADD'].includes(ins.keyword)) {
        return { line: ins.line, message: `line ${ins.line}: \`${describe(ins)}\` writes a file from a heredoc in the Dockerfile; the grader builds from the lab's sources only: COPY files from the lab folder instead`, hint };
      }
      const blob = /[A-Za-z0-9+/=_-]{256,}|(\\x[0-9a-fA-F]{2}){32,}/.exec(ins.args);
      if (blob) {
        return { line: ins.line, message: `line ${ins.line}: \`${describe(ins)}\` carries ${blob[0].length} characters of encoded data; the app must be built from the lab's sources, not embedded in the Dockerfile`, hint };
      }
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
export const POLICY: readonly PolicyRule[] = [tooLarge, addUrl, privilegedRun, knownImages, embeddedBinary];

/** The first rule this Dockerfile breaks, or undefined when it may be built. */
export function vet(df: ParsedDockerfile, ctx: PolicyContext = {}, rules: readonly PolicyRule[] = POLICY): Refusal | undefined {
  for (const rule of rules) {
    const refusal = rule.refuse(df, ctx);
    if (refusal) return refusal;
  }
  return undefined;
}
