import { DockerfileParser, type From, type Instruction } from 'dockerfile-ast';
import { formatBytes } from '../format/bytes.js';

/** One instruction, with the 1-based line the student sees in their editor. */
export interface DockerInstruction {
  keyword: string;
  /** The arguments as written, continuation lines joined. */
  args: string;
  line: number;
  /** `--from=build` → { from: 'build' } */
  flags: Record<string, string | null>;
  /** Every `--mount=` of a RUN, in order (a flag that repeats keeps only its last value in `flags`). */
  mounts?: string[];
  /** The instruction as written, from its keyword to its end (continuation lines and heredocs included). */
  raw?: string;
}

export interface Stage {
  index: number;
  name?: string;
  /** The image or stage named in FROM, as written (after ARG defaults are applied). */
  base: string;
  /** When FROM names an earlier stage, its index. */
  baseStage?: number;
  from: DockerInstruction;
  /** Everything after FROM, up to the next FROM. */
  instructions: DockerInstruction[];
}

/** A `COPY --from=…` (or `ADD --from`): an edge of the stage graph. */
export interface CopyFrom {
  stage: number;
  from: string;
  /** The stage it copies from, when it names (or numbers) one. */
  fromStage?: number;
  byIndex: boolean;
  sources: string[];
  dest: string;
  instruction: DockerInstruction;
}

export interface ParsedDockerfile {
  /** The ARGs before the first FROM (global build arguments). */
  globalArgs: DockerInstruction[];
  stages: Stage[];
  final: Stage;
  copies: CopyFrom[];
  /** The `# syntax=` parser directive, if any. */
  syntax?: string;
  /** The line-continuation character (`\\`, or `` ` `` after `# escape=\``). */
  escape?: string;
}

export interface ParseProblem {
  line?: number;
  message: string;
}

export type ParseResult = { ok: true; dockerfile: ParsedDockerfile } | { ok: false; problem: ParseProblem };

/**
 * Dockerfiles larger than this are not read: no real one comes close (the kit's largest is
 * under 2 kB), and dockerfile-ast needs about 0.2 s for 100 kB but 2.5 s for 1 MB, time in
 * which the grader's event loop (and a classmate's grade beside it) stands still.
 */
export const MAX_DOCKERFILE_BYTES = 100_000;

/**
 * The most stages and instructions the grader builds (the policy refuses more): ten times
 * the kit's largest honest Dockerfile (3 stages, 25 instructions), and few enough that
 * BuildKit never runs hundreds of stages side by side on the grading machine.
 */
export const MAX_STAGES = 32;
export const MAX_INSTRUCTIONS = 500;

const KNOWN_KEYWORDS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** The text of a range of the Dockerfile, from its lines. */
function rangeText(lines: string[], ins: Instruction): string {
  const { start, end } = ins.getRange();
  if (start.line === end.line) return (lines[start.line] ?? '').slice(start.character, end.character);
  return [(lines[start.line] ?? '').slice(start.character), ...lines.slice(start.line + 1, end.line), (lines[end.line] ?? '').slice(0, end.character)].join(
    '\n',
  );
}

function toInstruction(ins: Instruction, lines: string[]): DockerInstruction {
  const flags: Record<string, string | null> = {};
  const withFlags = ins as Instruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  const mounts: string[] = [];
  for (const f of withFlags.getFlags?.() ?? []) {
    flags[f.getName()] = f.getValue();
    if (f.getName() === 'mount') mounts.push(f.getValue() ?? '');
  }
  return {
    keyword: ins.getKeyword().toUpperCase(),
    args: (ins.getArgumentsContent() ?? '').replace(/\s+/g, ' ').trim(),
    line: ins.getRange().start.line + 1,
    flags,
    ...(mounts.length ? { mounts } : {}),
    raw: rangeText(lines, ins),
  };
}

/** `FROM ${GO_IMAGE}` with `ARG GO_IMAGE=golang:1.24` before it → `golang:1.24`. */
function resolveGlobalArgs(image: string, args: Map<string, string>): string {
  return image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}?/g, (_, name: string, fallback?: string) => args.get(name) ?? fallback ?? '');
}

function checkText(bytes: Buffer): ParseProblem | undefined {
  if (bytes.length > MAX_DOCKERFILE_BYTES) {
    return { message: `the Dockerfile is ${formatBytes(bytes.length)}; a Dockerfile this large is not read (limit ${formatBytes(MAX_DOCKERFILE_BYTES)})` };
  }
  if (bytes.includes(0)) return { message: 'the Dockerfile is not text (it contains NUL bytes)' };
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { message: 'the Dockerfile is not valid UTF-8 text; save it as UTF-8' };
  }
  return undefined;
}

/**
 * Parse a Dockerfile with dockerfile-ast and derive its stage graph. Problems that would
 * stop any builder (no FROM, an unknown instruction, not text) come back as `ok: false`
 * with the line to look at.
 */
export function parseDockerfile(input: string | Buffer): ParseResult {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const textProblem = checkText(bytes);
  if (textProblem) return { ok: false, problem: textProblem };

  const text = bytes.toString('utf8');
  const ast = DockerfileParser.parse(text);
  const lines = text.split(/\r?\n/);
  const stages: Stage[] = [];
  const copies: CopyFrom[] = [];
  const globalArgs = new Map<string, string>();
  const globalArgLines: DockerInstruction[] = [];
  // Stage names to indexes, the first stage of a name winning: lookups stay linear in the
  // file's size (a search through the stages for each FROM took 30 s on 76,000 FROMs).
  const named = new Map<string, number>();

  for (const ins of ast.getInstructions()) {
    const keyword = ins.getKeyword().toUpperCase();
    const line = ins.getRange().start.line + 1;
    if (!KNOWN_KEYWORDS.has(keyword)) {
      return { ok: false, problem: { line, message: `line ${line}: unknown instruction ${ins.getKeyword()}` } };
    }
    if (keyword === 'FROM') {
      const from = ins as From;
      const image = from.getImage();
      if (!image) return { ok: false, problem: { line, message: `line ${line}: FROM needs an image name` } };
      const base = resolveGlobalArgs(image, globalArgs);
      const name = from.getBuildStage()?.toLowerCase() ?? undefined;
      const index = stages.length;
      stages.push({ index, name, base, baseStage: named.get(base.toLowerCase()), from: toInstruction(ins, lines), instructions: [] });
      if (name !== undefined && !named.has(name)) named.set(name, index);
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (keyword === 'ARG') {
        const [name, value] = (ins.getArgumentsContent() ?? '').split('=', 2) as [string, string | undefined];
        globalArgs.set(name.trim(), (value ?? '').trim().replace(/^["']|["']$/g, ''));
        globalArgLines.push(toInstruction(ins, lines));
        continue;
      }
      return { ok: false, problem: { line, message: `line ${line}: ${keyword} comes before the first FROM; a Dockerfile must start with FROM` } };
    }
    const instruction = toInstruction(ins, lines);
    stage.instructions.push(instruction);
    if ((keyword === 'COPY' || keyword === 'ADD') && instruction.flags.from != null) {
      copies.push(copyEdge(ins, instruction, stage.index, named));
    }
  }

  const final = stages.at(-1);
  if (!final) return { ok: false, problem: { message: 'no FROM instruction: a Dockerfile must start with FROM <image>' } };
  const syntax = ast
    .getDirectives()
    .find((d) => d.getName().toLowerCase() === 'syntax')
    ?.getValue();
  const escape = ast.getEscapeCharacter?.() ?? '\\';
  return { ok: true, dockerfile: { globalArgs: globalArgLines, stages, final, copies, syntax, escape } };
}

/** `["a b", "/dest"]` (JSON form) or `a /dest` (shell form); flags are not part of the arguments. */
function copyPaths(args: string): string[] {
  const text = args.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not valid JSON: Docker treats it as shell form too
    }
  }
  return text.split(/\s+/).filter((w) => w && !w.startsWith('--'));
}

function copyEdge(copy: Instruction, instruction: DockerInstruction, stage: number, named: Map<string, number>): CopyFrom {
  const from = instruction.flags.from ?? '';
  const byIndex = /^\d+$/.test(from);
  const fromStage = byIndex ? Number(from) : named.get(from.toLowerCase());
  const paths = copyPaths(copy.getArgumentsContent() ?? '');
  return { stage, from, fromStage, byIndex, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '', instruction };
}

/** Every image the build takes from outside: bases of FROM (not earlier stages, not scratch) and COPY --from=<image>. */
export function externalImages(df: ParsedDockerfile): string[] {
  const refs = new Set(df.stages.filter((s) => s.baseStage === undefined && s.base !== 'scratch').map((s) => s.base));
  for (const c of df.copies) if (c.fromStage === undefined) refs.add(c.from);
  return [...refs];
}

/** The stages the final image is built on top of: the final stage, its FROM-stage, and so on. */
export function finalChain(df: ParsedDockerfile): Stage[] {
  const chain: Stage[] = [];
  let stage: Stage | undefined = df.final;
  while (stage) {
    chain.unshift(stage);
    stage = stage.baseStage === undefined ? undefined : df.stages[stage.baseStage];
  }
  return chain;
}

/** The external image at the bottom of the final image (`scratch` included). */
export function finalBaseImage(df: ParsedDockerfile): string {
  return finalChain(df)[0]!.base;
}

/** `FROM golang:1.24 AS build` as the student wrote it, for messages. */
export function describe(ins: DockerInstruction): string {
  const line = (mount: (v: string) => string) => {
    const flags = Object.entries(ins.flags)
      .map(([k, v]) => (v === null ? `--${k}` : `--${k}=${k === 'mount' ? mount(v) : v}`))
      .join(' ');
    return `${ins.keyword} ${flags ? `${flags} ` : ''}${ins.args.replace(/^(--\S+\s+)+/, '')}`;
  };
  // Too long to show whole: a mount's options give way first, so the command itself stays readable.
  let text = line((v) => v);
  if (text.length > 80) {
    text = line((v) => {
      const type = /(?:^|,)(type=[^,]+)/i.exec(v)?.[1];
      return type && v !== type ? `${type},…` : (type ?? '…');
    });
  }
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
