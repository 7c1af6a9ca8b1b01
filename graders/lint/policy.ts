import { formatCount } from '../format/bytes.js';
import { CATALOGUE, isAllowedImage } from '../images/catalogue.js';
import { instructionFlags, heredocs, parseMount, type FlagWord } from './buildkit.js';
import { describe, MAX_INSTRUCTIONS, MAX_STAGES, type DockerInstruction, type ParsedDockerfile } from './dockerfile.js';
import { assignments, expandWord, ExpansionTooLarge, MAX_EXPANDED_TOTAL, MAX_EXPANDED_VALUE } from './expand.js';

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
}

/** One rule: its id (for tests and docs) and a pure function of the parsed Dockerfile. */
export interface PolicyRule {
  id: string;
  refuse(df: ParsedDockerfile, ctx: PolicyContext): Refusal | undefined;
}

const instructions = (df: ParsedDockerfile): DockerInstruction[] => df.stages.flatMap((s) => [s.from, ...s.instructions]);

/** An instruction as BuildKit reads it (flags, arguments, heredocs), read once per instruction. */
const readings = new WeakMap<DockerInstruction, ReturnType<typeof instructionFlags>>();
export function asBuildKitReadsIt(ins: DockerInstruction, df: ParsedDockerfile): ReturnType<typeof instructionFlags> {
  let r = readings.get(ins);
  if (!r) {
    r = instructionFlags(ins.raw ?? `${ins.keyword} ${ins.args}`, df.escape);
    readings.set(ins, r);
  }
  return r;
}

/** Every value a flag may have, in either BuildKit's reading (see instructionFlags). */
const flagsNamed = (ins: DockerInstruction, df: ParsedDockerfile, name: string): FlagWord[] => {
  const { flags, olderFlags } = asBuildKitReadsIt(ins, df);
  const newer = flags.filter((f) => f.name === name);
  return [...newer, ...olderFlags.filter((f) => f.name === name && !newer.some((n) => n.start === f.start && n.value === f.value))];
};

/** Flags that take no value: a word after them is an argument. */
const BOOLEAN_FLAGS = new Set(['link', 'parents', 'keep-git-dir']);

/**
 * `COPY --from stagecraft/lab1-go /a /b`: newer BuildKit takes the next word as the flag's
 * value, BuildKit 0.8 refuses it, and readers differ on it. Only `--name=value` is built.
 */
const flagSpelling: PolicyRule = {
  id: 'flag-spelling',
  refuse(df) {
    for (const ins of instructions(df)) {
      const flag = asBuildKitReadsIt(ins, df).flags.find((f) => f.spaced && !BOOLEAN_FLAGS.has(f.name));
      if (!flag) continue;
      return {
        line: ins.line,
        message: `line ${ins.line}: \`${describe(ins)}\` gives --${flag.name} its value after a space; write it with an equals sign, \`--${flag.name}=${flag.value ?? ''}\`, which every Docker version reads the same way`,
      };
    }
    return undefined;
  },
};

/** ADD's sources, as BuildKit reads them: the JSON form's strings, or the shell form's words. */
function addSources(ins: DockerInstruction, df: ParsedDockerfile): string[] {
  const { args } = asBuildKitReadsIt(ins, df);
  if (args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed)) return parsed.slice(0, -1).map(String);
    } catch {
      // not valid JSON: BuildKit reads it as the shell form
    }
  }
  return args.split(/\s+/).filter(Boolean).slice(0, -1);
}

/**
 * `ADD` of anything but a literal path in the lab folder: a URL (in either form) is fetched
 * by the engine itself, on the grading machine where loopback services live; a build
 * argument (`ADD $U /x`) can become a URL after the policy has looked; a git address clones.
 */
const addLocalOnly: PolicyRule = {
  id: 'add-local-only',
  refuse(df) {
    for (const ins of instructions(df)) {
      if (ins.keyword !== 'ADD') continue;
      for (const source of addSources(ins, df)) {
        if (/^\d*<</.test(source)) continue; // a heredoc: the embedded-source rule reads it
        const url = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/|^git@|\.git(#|$)/.test(source.replace(/["'\\]/g, ''));
        const variable = /\$/.test(source);
        const quoted = /["'\\]/.test(source);
        if (!url && !variable && !quoted) continue;
        const why = url
          ? 'downloads from a URL'
          : variable
            ? `takes its source from a build argument (${source}), which the grader cannot check before the build`
            : `spells its source (${source}) with quotes or backslashes, which the grader does not read as a plain path`;
        return {
          line: ins.line,
          message: `line ${ins.line}: \`${describe(ins)}\` ${why}; the grader builds only from the lab folder: put the file in the folder and COPY it by its name`,
        };
      }
    }
    return undefined;
  },
};

/** Mount values the grader rebuilds as plain `key=value` fields: nothing that needs quoting. */
const PLAIN_VALUE = /^[^\s,"'\\]*$/;

/**
 * `RUN --mount=…`, read as BuildKit reads it (one CSV record, keys in any case), must be one
 * the grader can rebuild field for field with its own cache id (prepare/cache-mounts.ts):
 * no backslash escapes, no key twice, no variable where the id, type or source image goes.
 */
const readableMounts: PolicyRule = {
  id: 'readable-mounts',
  refuse(df) {
    for (const ins of instructions(df)) {
      if (ins.keyword !== 'RUN') continue;
      const { logical } = asBuildKitReadsIt(ins, df);
      for (const flag of flagsNamed(ins, df, 'mount')) {
        const refuse = (why: string, fix: string): Refusal => ({
          line: ins.line,
          message: `line ${ins.line}: the --mount of \`${describe(ins)}\` ${why}; ${fix}`,
          hint: "Write each mount as plain comma-separated fields on one line, for example `RUN --mount=type=cache,target=/root/.cache/go-build go build .`: the grader gives every cache mount an id of its own, so that no build can read another's cache.",
        });
        const written = logical.rest.slice(flag.start, flag.end);
        if (written.includes('\\')) return refuse('has a backslash escape, which Docker versions read differently', 'write it without backslashes');
        const first = logical.origin[flag.start] ?? 0;
        const last = logical.origin[flag.end - 1] ?? first;
        if ((ins.raw ?? '').slice(first, last).includes('\n')) return refuse('is split over lines', 'keep each --mount on one line');
        const mount = parseMount(flag.value ?? '');
        if ('error' in mount) return refuse(`cannot be read (${mount.error})`, 'write it as comma-separated key=value fields');
        const seen = new Set<string>();
        for (const f of mount.fields) {
          if (seen.has(f.key)) return refuse(`gives ${f.key} twice`, `give each field once`);
          seen.add(f.key);
          if (f.value !== null && !PLAIN_VALUE.test(f.value))
            return refuse(`has a field (${f.written}) whose value holds a space, comma, quote or backslash`, 'use a plain value');
          if (f.value?.includes('$') && ['type', 'id', 'from'].includes(f.key))
            return refuse(`names its ${f.key} with a build argument, which the grader cannot check before the build`, `write the ${f.key} itself`);
        }
      }
    }
    return undefined;
  },
};

/** Every `from=` of every `RUN --mount`, in any spelling BuildKit accepts (quoted, upper case). */
function mountSources(ins: DockerInstruction, df: ParsedDockerfile): string[] {
  if (ins.keyword !== 'RUN') return [];
  return flagsNamed(ins, df, 'mount').flatMap((f) => {
    const mount = parseMount(f.value ?? '');
    return 'error' in mount ? [] : mount.fields.filter((x) => x.key === 'from' && x.value !== null).map((x) => x.value!);
  });
}

/** Every `--from=` of a COPY or ADD as BuildKit reads it (dockerfile-ast keeps quotes and backslashes). */
function copySources(ins: DockerInstruction, df: ParsedDockerfile): string[] {
  if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') return [];
  return flagsNamed(ins, df, 'from').map((f) => f.value ?? '');
}

/** The allowlist in a few words for a one-line message: the catalogue, then the online images by family. */
function allowlistInWords(extra: readonly string[]): string {
  const catalogue = CATALOGUE.filter((c) => !c.variantOf && !c.ref.startsWith('gcr.io/distroless/')).map((c) => c.ref);
  const online = [
    'gcr.io/distroless/… (any image and tag)',
    'alpine',
    'golang:…-alpine',
    'node:…-alpine and …-slim',
    'python:…-alpine and …-slim',
    'eclipse-temurin:…',
  ];
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
      ...instructions(df).flatMap((ins) => [...copySources(ins, df), ...mountSources(ins, df)].map((ref) => ({ ref, ins }))),
      // dockerfile-ast's reading too: any reader's image must be allowed.
      ...df.copies.filter((c) => c.fromStage === undefined).map((c) => ({ ref: c.from, ins: c.instruction })),
    ];
    for (const { ref, ins } of uses) {
      if (ref === 'scratch' || isStage(ref) || (ref && !ref.includes('$') && isAllowedImage(ref, ctx.allowImages))) continue;
      return {
        line: ins.line,
        message: `line ${ins.line}: \`${describe(ins)}\` uses ${ref && !ref.includes('$') ? `the image ${ref}` : 'an image named by a build argument'}, which this lab does not allow; FROM, COPY --from and RUN --mount from= may name a stage of this Dockerfile, scratch, or one of: ${allowlistInWords(ctx.allowImages ?? [])}`,
        hint: "Build the app from the lab's sources in this Dockerfile, starting from one of the images listed: a prebuilt image cannot stand in for the build. An instructor can allow more images with `--allow-image`.",
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
      const network = flagsNamed(ins, df, 'network').some((f) => f.value?.toLowerCase() === 'host');
      const security = flagsNamed(ins, df, 'security').some((f) => f.value?.toLowerCase() === 'insecure');
      if (!network && !security) continue;
      return {
        line: ins.line,
        message: `line ${ins.line}: \`${describe(ins)}\` asks for ${network ? "the grading machine's own network" : 'every privilege of the grading machine'}; graded builds never get it: remove the ${network ? '--network=host' : '--security=insecure'} flag`,
      };
    }
    return undefined;
  },
};

/** Instructions whose arguments BuildKit expands (RUN, CMD and ENTRYPOINT are left to the shell). */
const EXPANDED = new Set(['ADD', 'COPY', 'ENV', 'ARG', 'LABEL', 'WORKDIR', 'USER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL']);

/**
 * ARG and ENV values evaluated here first, each stage starting from the ENV of the stage it
 * is built on, with every value and their sum capped (lint/expand.ts): a value that grows
 * past the cap is refused at its line, before anything reaches the engine.
 */
const boundedExpansion: PolicyRule = {
  id: 'bounded-expansion',
  refuse(df) {
    const global = new Map<string, string>();
    const finalEnv: Map<string, string>[] = [];
    let total = 0;
    const tooLarge = (ins: DockerInstruction, what: string): Refusal => ({
      line: ins.line,
      message: `line ${ins.line}: \`${describe(ins)}\` makes ${what} longer than ${formatCount(MAX_EXPANDED_VALUE)} characters; the grader expands ARG and ENV values itself and builds none longer (a long PATH is 200): write the value out instead of building it from itself`,
      hint: 'A value that refers to itself more than once (`ENV A=$A$A`) doubles at every line; the engine takes time that grows with the square of its length to read it, and that work cannot be cancelled.',
    });
    const expand = (ins: DockerInstruction, what: string, text: string, vars: Map<string, string>): string | Refusal => {
      try {
        const value = expandWord(text, vars, df.escape);
        total += value.length;
        if (total > MAX_EXPANDED_TOTAL) {
          return {
            line: ins.line,
            message: `line ${ins.line}: \`${describe(ins)}\` brings the Dockerfile's expanded ARG and ENV values to more than ${formatCount(MAX_EXPANDED_TOTAL)} characters, far more than any lab needs; write the values out instead of repeating variables`,
          };
        }
        return value;
      } catch (err) {
        if (err instanceof ExpansionTooLarge) return tooLarge(ins, what);
        throw err;
      }
    };
    // Global ARGs, before the first FROM: BuildKit expands each against those before it.
    for (const ins of df.globalArgs) {
      for (const [name, text] of assignments(ins.args, false)) {
        const value = expand(ins, name, text, global);
        if (typeof value !== 'string') return value;
        global.set(name, value);
      }
    }
    for (const stage of df.stages) {
      const vars = new Map(stage.baseStage !== undefined ? finalEnv[stage.baseStage] : undefined);
      for (const ins of stage.instructions) {
        if (ins.keyword === 'ENV' || ins.keyword === 'ARG') {
          const before = new Map(vars);
          for (const [name, text] of assignments(ins.args, ins.keyword === 'ENV')) {
            if (ins.keyword === 'ARG' && text === '' && !/=/.test(ins.args)) {
              if (global.has(name)) vars.set(name, global.get(name)!);
              continue;
            }
            const value = expand(ins, name, text, before);
            if (typeof value !== 'string') return value;
            vars.set(name, value);
          }
          continue;
        }
        if (EXPANDED.has(ins.keyword)) {
          const value = expand(ins, 'its arguments', ins.args, vars);
          if (typeof value !== 'string') return value;
        }
        for (const flag of asBuildKitReadsIt(ins, df).flags) {
          const value = expand(ins, `its --${flag.name}`, flag.value ?? '', vars);
          if (typeof value !== 'string') return value;
        }
      }
      finalEnv[stage.index] = vars;
    }
    return undefined;
  },
};

/** A teaching Dockerfile is a few kilobytes; a larger one carries something else. */
export const MAX_POLICY_BYTES = 16 * 1024;

const EMBED_HINT =
  'Heredocs of shell commands are fine (`RUN <<EOF` … `EOF`). What the grader refuses is the app itself carried in the Dockerfile: keep its sources in the lab folder, COPY them in, and compile them in a build stage.';

/** The refusals that need only the Dockerfile's bytes: checked before it is parsed at all. */
export function vetBytes(bytes: Buffer): Refusal | undefined {
  if (bytes.length <= MAX_POLICY_BYTES) return undefined;
  return {
    message: `the Dockerfile is ${(bytes.length / 1024).toFixed(0)} kB, far more than a teaching Dockerfile needs (at most ${MAX_POLICY_BYTES / 1024} kB here): it cannot carry a program, only build one`,
    hint: "Build the app in the Dockerfile from the lab's sources (COPY them in, compile in a build stage); the Dockerfile itself holds only instructions.",
  };
}

/** A program's source, a manifest of its dependencies, or a compiled artefact, by its name. */
const SOURCE_EXTENSIONS = new Set([
  'go',
  'js',
  'mjs',
  'cjs',
  'ts',
  'mts',
  'cts',
  'tsx',
  'jsx',
  'py',
  'pyx',
  'pyc',
  'c',
  'h',
  'cc',
  'cpp',
  'cxx',
  'hpp',
  'java',
  'kt',
  'kts',
  'scala',
  'rs',
  'rb',
  'php',
  'cs',
  'swift',
  'class',
  'jar',
  'war',
  'so',
  'a',
  'o',
  'wasm',
  'node',
  'exe',
  'dll',
  'bin',
]);
const MANIFESTS = new Set([
  'go.mod',
  'go.sum',
  'package.json',
  'package-lock.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'requirements.txt',
  'pyproject.toml',
  'setup.py',
  'pom.xml',
  'build.gradle',
  'makefile',
  'tsconfig.json',
]);
function isSourceName(file: string): boolean {
  const base = file.replace(/\/+$/, '').split('/').at(-1)!.toLowerCase();
  const ext = /\.([a-z0-9]+)$/.exec(base)?.[1];
  return MANIFESTS.has(base) || (ext !== undefined && SOURCE_EXTENSIONS.has(ext));
}

/** The first lines of a program, in the labs' languages. */
const PROGRAM_LINE =
  /^\s*(#!|package\s+\w|import\s|from\s+\S+\s+import\s|def\s+\w+\s*\(|func\s+\w*\s*\(|(public\s+)?(final\s+)?class\s+\w|#include\s|module\.exports|(const|let|var)\s+\w+\s*=\s*require\(|function\s+\w+\s*\(|export\s+(default|function|const|class)\b)/;

/** Base64 or hex data, whole or wrapped over lines: the length of the longest run, or 0. */
function encodedLength(lines: string[]): number {
  let longest = 0;
  let run = 0;
  for (const line of lines) {
    const t = line.trim();
    if (/^[A-Za-z0-9+/=_-]{16,}$/.test(t)) run += t.length;
    else run = 0;
    const hex = /(\\x[0-9a-fA-F]{2}){32,}/.exec(t)?.[0].length ?? 0; // 32 bytes written as \xNN
    if (hex) return hex;
    longest = Math.max(longest, run, /[A-Za-z0-9+/=_-]{256,}/.exec(t)?.[0].length ?? 0);
  }
  return longest >= 256 ? longest : 0;
}

/** Files a shell text writes with `>`, `>>` or `tee`, in segments that take their data from the Dockerfile. */
function writtenSources(text: string, fromHeredoc: boolean): string[] {
  const found: string[] = [];
  for (const segment of text.split(/&&|\|\||;|\n/)) {
    const inline = /^\s*(echo|printf)\b/.test(segment) || /<</.test(segment);
    if (!fromHeredoc && !inline) continue;
    for (const m of segment.matchAll(/(?:>>?|\btee(?:\s+-a)?)\s*["']?([^\s"';|&<>()]+)/g)) {
      if (isSourceName(m[1]!)) found.push(m[1]!);
    }
  }
  return found;
}

/**
 * The app is built from the lab's sources, not carried in the Dockerfile: no heredoc that
 * writes a source file (`COPY <<EOF /app/main.go`, `RUN cat > main.go <<EOF`) or program
 * text, no long base64 or hex blob. Heredocs of shell commands are graded like the same
 * commands on one line.
 */
const embeddedSource: PolicyRule = {
  id: 'embedded-source',
  refuse(df) {
    for (const ins of instructions(df)) {
      const writesFromDockerfile = (file: string): Refusal => ({
        line: ins.line,
        message: `line ${ins.line}: \`${describe(ins)}\` writes ${file} from text in the Dockerfile; the app must be built from the lab's own sources: keep ${file.split('/').at(-1)} in the lab folder and COPY it in`,
        hint: EMBED_HINT,
      });
      const reading = ['RUN', 'COPY', 'ADD'].includes(ins.keyword) ? asBuildKitReadsIt(ins, df) : undefined;
      const docs = reading ? heredocs(reading.logical) : [];
      if (docs.length && (ins.keyword === 'COPY' || ins.keyword === 'ADD')) {
        const words = reading!.args.split(/\s+/).filter(Boolean);
        const dest = words.at(-1) ?? '';
        for (const doc of docs) {
          const file = words.length === 2 && !dest.endsWith('/') ? dest : `${dest.replace(/\/+$/, '')}/${doc.name}`;
          if (isSourceName(file) || doc.body.some((l) => PROGRAM_LINE.test(l))) return writesFromDockerfile(file);
        }
      }
      if (ins.keyword === 'RUN') {
        const text = [reading!.args, ...docs.flatMap((d) => d.body)].join('\n');
        const file = writtenSources(text, docs.length > 0)[0];
        if (file) return writesFromDockerfile(file);
      }
      const encoded = Math.max(encodedLength([ins.args]), ...docs.map((d) => encodedLength(d.body)));
      if (encoded) {
        return {
          line: ins.line,
          message: `line ${ins.line}: \`${describe(ins)}\` carries ${formatCount(encoded)} characters of encoded data; the app must be built from the lab's sources, not embedded in the Dockerfile`,
          hint: EMBED_HINT,
        };
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
      return {
        line,
        message: `the Dockerfile has ${formatCount(df.stages.length)} stages (FROM lines); the grader builds at most ${MAX_STAGES}, and a lab needs two to four`,
      };
    }
    const count = df.stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    if (count > MAX_INSTRUCTIONS) {
      return { message: `the Dockerfile has ${formatCount(count)} instructions; the grader builds at most ${MAX_INSTRUCTIONS}, and a lab needs a few dozen` };
    }
    return undefined;
  },
};

/** Every rule, in the order they are tried; the first refusal is reported. */
/** The rules that keep the machine safe, whatever is built: `explain --dockerfile` vets with these. */
export const MACHINE_POLICY: readonly PolicyRule[] = [tooLarge, boundedExpansion, flagSpelling, addLocalOnly, privilegedRun, readableMounts];

/** A grade's rules: the machine's, and the lab's integrity (allowed images, the app built from the lab's sources). */
export const POLICY: readonly PolicyRule[] = [...MACHINE_POLICY, knownImages, embeddedSource];

/** The first rule this Dockerfile breaks, or undefined when it may be built. */
export function vet(df: ParsedDockerfile, ctx: PolicyContext = {}, rules: readonly PolicyRule[] = POLICY): Refusal | undefined {
  for (const rule of rules) {
    const refusal = rule.refuse(df, ctx);
    if (refusal) return refusal;
  }
  return undefined;
}
