import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { docker, imageExists } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { heredocs, instructionFlags } from '../lint/buildkit.js';
import type { ParsedDockerfile } from '../lint/dockerfile.js';

/**
 * `# syntax=docker/dockerfile:1` makes BuildKit fetch a Dockerfile frontend image. Where
 * that image is not here (an offline classroom) the build would fail before it starts, so
 * the directive is commented out in the temporary copy (never in the student's file) and
 * the engine's built-in frontend is used. That frontend is as old as the engine: Docker
 * 20.10's (BuildKit 0.8) has no heredocs and no `COPY --link`; see engineLacks below.
 */
export async function withoutUnavailableSyntax(contextDir: string, syntax: string | undefined): Promise<string | undefined> {
  if (!syntax || (await imageExists(syntax))) return undefined;
  const file = path.join(contextDir, 'Dockerfile');
  const text = await readFile(file, 'utf8');
  // "# stagecraft ignored: syntax=…" is a comment, no longer a directive.
  const rewritten = text.replace(/^#(\s*syntax\s*=)/im, '# stagecraft ignored:$1');
  await writeFile(file, rewritten);
  return `the \`# syntax=${syntax}\` line was ignored: that frontend image is not on this machine (and cannot be fetched offline), so the engine's built-in Dockerfile frontend was used`;
}

/** A Dockerfile feature the built-in frontend of engines before Docker 23 (API 1.42) does not know. */
interface Feature {
  what: string;
  /** The same result without the feature, on any engine. */
  instead: string;
}

/**
 * Measured on Docker 20.10.24 (BuildKit 0.8): each of these fails there with "Unknown flag"
 * or "unknown instruction", and builds on Docker 23 and later, whose built-in frontend is
 * Dockerfile syntax 1.4 or newer. `--chmod` and `RUN --mount` work on both.
 */
function featuresOf(ins: { keyword: string; raw?: string; args: string }, escape: string | undefined): Feature | undefined {
  if (!['RUN', 'COPY', 'ADD'].includes(ins.keyword)) return undefined;
  const { logical, flags } = instructionFlags(ins.raw ?? `${ins.keyword} ${ins.args}`, escape);
  if (heredocs(logical).length) {
    return ins.keyword === 'RUN'
      ? { what: 'a heredoc (`RUN <<EOF`)', instead: 'put its commands on one RUN, joined with `&&` (a line ending in `\\` continues it)' }
      : { what: `a heredoc (\`${ins.keyword} <<EOF\`)`, instead: 'put the file in the lab folder and COPY it' };
  }
  const flag = flags.find((f) => ['link', 'parents', 'exclude', 'checksum', 'network', 'security'].includes(f.name));
  if (!flag) return undefined;
  const instead: Record<string, string> = {
    link: 'drop `--link`: the image is the same without it, only its layers are rebuilt less cleverly',
    parents: 'drop `--parents` and COPY each folder to its place',
    exclude: 'drop `--exclude` and list what the build must not see in `.dockerignore`',
    checksum: 'drop `--checksum`',
    network: `drop \`--network=${flag.value ?? ''}\`: graded builds get only the network their lab needs anyway`,
    security: `drop \`--security=${flag.value ?? ''}\``,
  };
  return { what: `\`${ins.keyword} --${flag.name}\``, instead: instead[flag.name]! };
}

/** The first instruction this engine's built-in frontend cannot read, with what to write instead. */
export function unsupportedByOldFrontend(df: ParsedDockerfile): { line: number; feature: Feature } | undefined {
  for (const ins of df.stages.flatMap((s) => [s.from, ...s.instructions])) {
    const feature = featuresOf(ins, df.escape);
    if (feature) return { line: ins.line, feature };
  }
  return undefined;
}

/** The engine's version, as its API says it (`20.10.24+dfsg1`, API `1.41`). */
async function engineVersion(): Promise<{ version: string; api: string }> {
  const v = (await docker().version()) as { Version?: string; ApiVersion?: string };
  return { version: v.Version ?? 'unknown', api: v.ApiVersion ?? '0' };
}

/** API 1.42 is Docker 23.0, the first whose built-in frontend has heredocs and `COPY --link`. */
const isBefore23 = (api: string) => {
  const [major = 0, minor = 0] = api.split('.').map(Number);
  return major < 1 || (major === 1 && minor < 42);
};

/**
 * Before a build on the engine's built-in frontend (no `# syntax=` image used): a feature
 * that frontend lacks is "could not grade", in one line naming the feature, why and the
 * equivalent that works, never a failed `builds` with the engine's "Unknown flag: link".
 * The student wrote a Dockerfile every current Docker builds; the grading machine's engine
 * is what falls short, and a grade must not charge that to the student.
 */
export async function requireFrontendFeatures(df: ParsedDockerfile, syntaxUsed: boolean): Promise<void> {
  if (syntaxUsed) return;
  const found = unsupportedByOldFrontend(df);
  if (!found) return;
  const { version, api } = await engineVersion();
  if (!isBefore23(api)) return;
  throw new CannotGrade(
    `line ${found.line} uses ${found.feature.what}, which this engine cannot build: Docker ${version.replace(/\+.*$/, '')} has an older built-in Dockerfile frontend (Docker 23 and later have it), and a newer one cannot be fetched offline; the Dockerfile is fine on current Docker. To grade it here, ${found.feature.instead}; or grade on Docker 23 or later`,
  );
}
