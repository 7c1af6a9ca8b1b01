import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CannotGrade } from '../engine/errors.js';
import { oneLine } from '../format/text.js';
import { REPO_ROOT } from '../kit/locations.js';
import type { GradeResult } from '../pipeline/result.js';
import { MAX_DOCKERFILE_BYTES, MAX_FINDING_CHARS } from './limits.js';
import type { PostedCheck, ResultBody } from './protocol.js';

/**
 * The student's side of a room: `room join` keeps the room's address and this student's
 * token in the kit's own state folder (.stagecraft/, ignored by git: never in the student's
 * repository); every grade after it posts its result there, in the background, within a
 * short time limit. A room that does not answer never fails or holds up a grade.
 */

/** How long a grade waits for the room, at most. */
export const POST_TIMEOUT_MS = 1500;
const JOIN_TIMEOUT_MS = 5000;

export interface Membership {
  url: string;
  code: string;
  name: string;
  token: string;
  shareDockerfile: boolean;
  joinedAt: string;
}

/** The kit's state folder (STAGECRAFT_STATE_DIR moves it: the tests' kits do not share one). */
export const stateDir = () => process.env.STAGECRAFT_STATE_DIR ?? path.join(REPO_ROOT, '.stagecraft');
export const membershipFile = () => path.join(stateDir(), 'room.json');

export async function readMembership(): Promise<Membership | undefined> {
  try {
    return JSON.parse(await readFile(membershipFile(), 'utf8')) as Membership;
  } catch {
    return undefined;
  }
}

/** `http://192.168.1.20:4300/join/K7P2QX` → the room's address and code. */
export function parseJoinLink(link: string): { url: string; code: string } {
  let parsed: URL | undefined;
  try {
    parsed = new URL(link);
  } catch {
    // reported below
  }
  const code = parsed && /^\/join\/([A-Za-z0-9]{4,16})\/?$/.exec(parsed.pathname)?.[1];
  if (!parsed || !code || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new CannotGrade(`"${oneLine(link)}" is not a room's join link: copy the one the board shows, like http://192.168.1.20:4300/join/K7P2QX`);
  }
  return { url: parsed.origin, code: code.toUpperCase() };
}

async function request(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, body };
}

const unreachable = (url: string, err: unknown) => {
  const e = err as { name?: string; cause?: { code?: string } };
  const why = e.name === 'TimeoutError' ? 'it did not answer in time' : (e.cause?.code ?? (err as Error).message);
  return `cannot reach the room at ${url} (${why}): is the instructor's room running, and is this computer on the same network?`;
};

/** `stagecraft room join <link> --name alice [--share-dockerfile]`: one line saying what happened. */
export async function joinRoom(link: string, name: string, shareDockerfile: boolean): Promise<string> {
  const { url, code } = parseJoinLink(link);
  const held = await readMembership();
  if (held && held.url === url && held.code === code && held.name.toLowerCase() === name.trim().toLowerCase()) {
    await saveMembership({ ...held, shareDockerfile });
    return `you are already in the room at ${url} as ${held.name}; your Dockerfile is ${shareDockerfile ? 'now shared with each result' : 'not shared'}`;
  }
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(
      `${url}/api/join`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, name: name.trim() }) },
      JOIN_TIMEOUT_MS,
    );
  } catch (err) {
    throw new CannotGrade(unreachable(url, err));
  }
  if (answer.status !== 201) throw new CannotGrade(`the room said: ${oneLine(String(answer.body.error ?? `HTTP ${answer.status}`))}`);
  await saveMembership({ url, code, name: String(answer.body.name), token: String(answer.body.token), shareDockerfile, joinedAt: new Date().toISOString() });
  const left = held && held.url !== url ? ` (you left the room at ${held.url})` : '';
  return `joined the room at ${url} as ${String(answer.body.name)}${left}: every \`npm run grade\` now posts its result there${shareDockerfile ? ', with your Dockerfile' : ' (not your Dockerfile: add --share-dockerfile to let the instructor regrade it)'}`;
}

async function saveMembership(m: Membership): Promise<void> {
  await mkdir(stateDir(), { recursive: true });
  await writeFile(membershipFile(), `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600 });
}

/** `stagecraft room leave`: the room forgets this student's results, the kit its token. */
export async function leaveRoom(): Promise<string> {
  const held = await readMembership();
  if (!held) return 'this kit has not joined a room';
  let said = '';
  try {
    const answer = await request(`${held.url}/api/me`, { method: 'DELETE', headers: { authorization: `Bearer ${held.token}` } }, JOIN_TIMEOUT_MS);
    said = answer.status === 200 ? '; the room removed your results' : `; the room said: ${oneLine(String(answer.body.error ?? answer.status))}`;
  } catch (err) {
    said = `; ${unreachable(held.url, err)} — your results stay in it until the instructor deletes the room file`;
  }
  await rm(membershipFile(), { force: true });
  return `left the room at ${held.url}${said}`;
}

const kitVersion = (() => {
  let version: string | undefined;
  return () => (version ??= String((JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'));
})();

async function engineName(): Promise<string> {
  try {
    const { docker } = await import('../engine/docker.js');
    const v = await Promise.race([docker().version(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow')), 500).unref())]);
    return `${v.Platform?.Name ?? 'Docker Engine'} ${v.Version}`.slice(0, 80);
  } catch {
    return 'unknown';
  }
}

/** Each check's verdict, and a failing check's finding as one line. */
export const postedChecks = (result: GradeResult): PostedCheck[] =>
  result.checks.map((c) => {
    const state = c.passed ? 'passed' : c.skipped ? 'skipped' : 'failed';
    return state === 'failed' ? { id: c.id, state, finding: oneLine(c.message).slice(0, MAX_FINDING_CHARS) } : { id: c.id, state };
  });

/** What a grade sends: its verdicts, the failing checks' findings, the image's size — and the Dockerfile only if shared. */
export async function resultBody(result: GradeResult, dockerfile: string | undefined): Promise<ResultBody> {
  return {
    lab: result.lab,
    passed: result.passed,
    score: result.score,
    maxScore: result.maxScore,
    imageSize: result.image?.size ?? null,
    checks: postedChecks(result),
    kit: kitVersion().slice(0, 40),
    engine: await engineName(),
    ...(dockerfile !== undefined ? { dockerfile } : {}),
  };
}

/**
 * After a grade: post its result to the room this kit joined, if any. Resolves to one line
 * to print (posted, or why not), or undefined when the kit is in no room. Never throws.
 */
export async function postResult(result: GradeResult): Promise<string | undefined> {
  const held = await readMembership();
  if (!held) return undefined;
  const dockerfilePath = path.resolve(REPO_ROOT, result.dockerfile); // the result's path is the kit's, or absolute
  try {
    let dockerfile: string | undefined;
    if (held.shareDockerfile) {
      const text = await readFile(dockerfilePath, 'utf8').catch(() => undefined);
      dockerfile = text !== undefined && Buffer.byteLength(text) <= MAX_DOCKERFILE_BYTES ? text : undefined;
    }
    const body = JSON.stringify(await resultBody(result, dockerfile));
    const answer = await request(
      `${held.url}/api/results`,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${held.token}` }, body },
      POST_TIMEOUT_MS,
    );
    if (answer.status === 201) return `room: posted to ${held.url} as ${held.name}${dockerfile !== undefined ? ' (with your Dockerfile)' : ''}`;
    return `room: not posted: the room said ${oneLine(String(answer.body.error ?? `HTTP ${answer.status}`))}; your grade is not affected`;
  } catch (err) {
    return `room: not posted: ${unreachable(held.url, err)} Your grade is not affected.`;
  }
}
