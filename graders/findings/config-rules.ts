import { finalChain, type DockerInstruction, type ParsedDockerfile } from '../lint/dockerfile.js';
import type { ImageFacts } from '../inspect/image.js';
import type { Finding } from './finding.js';

/** Token shapes that are credentials whatever their name. */
const TOKEN_SHAPES: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{30,}/, // GitHub
  /\bgithub_pat_[A-Za-z0-9_]{40,}/,
  /\bglpat-[A-Za-z0-9_-]{20,}/, // GitLab
  /\bnpm_[A-Za-z0-9]{36}\b/,
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, // AWS access key id
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/, // Slack
  /\b[a-z]{2,}_live_[A-Za-z0-9]{16,}/, // Stripe-style live keys (sk_live_…, the lab's hr_live_…)
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, // a JWT
];

/** `*_TOKEN`, `*_SECRET`, `*_PASSWORD`, `*_KEY` (and the bare words): names that say they hold one. */
const SECRET_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|KEY|CREDENTIALS?)$/i;

export interface SecretOptions {
  /** Values the lab knows are secret (its `.env`), found by exact match. */
  knownValues?: string[];
}

/** `hr_live_4f9c…e6b3`: enough to recognise, not enough to use. */
export function mask(value: string): string {
  return value.length <= 8 ? '…' : `${value.slice(0, Math.min(8, Math.floor(value.length / 4)))}…${value.slice(-4)}`;
}

/** Why a name and value look like a credential, or undefined. `byName` only for what the Dockerfile set itself. */
function looksSecret(name: string, value: string, byName: boolean, opts: SecretOptions): string | undefined {
  if (!value.trim()) return undefined;
  if (opts.knownValues?.some((k) => k.length >= 8 && value.includes(k))) return "a value of the lab's .env";
  if (TOKEN_SHAPES.some((r) => r.test(value))) return 'a value shaped like a live token';
  if (byName && SECRET_NAME.test(name) && !/^\$\{?\w+\}?$/.test(value) && !/(_FILE|_PATH|_URL)$/i.test(name)) return `a value in a variable named ${name}`;
  return undefined;
}

/** The instruction of the final image's stages that set this name (ENV, LABEL or ARG), if any. */
function setter(df: ParsedDockerfile | undefined, keyword: string, name: string): DockerInstruction | undefined {
  if (!df) return undefined;
  const sets = new RegExp(`(^|\\s)["']?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?(=|\\s|$)`);
  const all = finalChain(df)
    .flatMap((s) => s.instructions)
    .filter((i) => i.keyword === keyword && sets.test(i.args));
  return all.at(-1);
}

function configFinding(setting: string, why: string, line: number | undefined): Finding {
  return {
    kind: 'secret',
    what: `a credential in the image config (${why})`,
    setting,
    line,
    files: 0,
    bytes: 0,
    example: '',
    exampleBytes: 0,
    folder: '',
    fromBase: line === undefined,
  };
}

/**
 * Credentials the image config carries: ENV values, labels, and the build arguments that
 * `RUN` steps recorded in the history (`|1 NPM_TOKEN=… /bin/sh -c …`). Anyone who pulls
 * the image reads them with `docker inspect` or `docker history`.
 */
export function findConfigSecrets(image: ImageFacts, df: ParsedDockerfile | undefined, opts: SecretOptions = {}): Finding[] {
  const found: Finding[] = [];
  for (const pair of image.env) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    const ins = setter(df, 'ENV', name);
    const why = looksSecret(name, value, Boolean(ins), opts);
    if (why) found.push(configFinding(`ENV ${name}=${mask(value)}`, why, ins?.line));
  }
  for (const [name, value] of Object.entries(image.labels)) {
    const ins = setter(df, 'LABEL', name);
    const why = looksSecret(name, value, Boolean(ins), opts);
    if (why) found.push(configFinding(`LABEL ${name}=${mask(value)}`, why, ins?.line));
  }
  const seen = new Set<string>();
  for (const h of image.history) {
    const args = /^\|\d+ (.*?) \/bin\/sh -c /.exec(h.createdBy)?.[1];
    if (!args) continue;
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)) {
      const [, name, value] = m as unknown as [string, string, string];
      if (seen.has(name)) continue;
      const ins = setter(df, 'ARG', name);
      const why = looksSecret(name, value, Boolean(ins), opts);
      if (why) {
        seen.add(name);
        found.push(configFinding(`ARG ${name}=${mask(value)}`, why, ins?.line));
      }
    }
  }
  return found;
}

/** The image runs as root: its user is unset, `root` or uid 0. */
export function findRootUser(image: ImageFacts, df: ParsedDockerfile | undefined): Finding[] {
  const name = image.user.trim().split(':')[0] ?? '';
  if (name !== '' && name !== 'root' && name !== '0') return [];
  const user = df
    ? finalChain(df)
        .flatMap((s) => s.instructions)
        .filter((i) => i.keyword === 'USER')
        .at(-1)
    : undefined;
  return [
    {
      kind: 'root',
      what: `the image runs as root (its user is ${image.user ? `"${image.user}"` : 'not set'})`,
      setting: `USER ${image.user || '(none)'}`,
      line: user?.line,
      files: 0,
      bytes: 0,
      example: '',
      exampleBytes: 0,
      folder: '',
      fromBase: !user,
    },
  ];
}
