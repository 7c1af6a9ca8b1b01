import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { startCli } from './cli.js';
import type { LabInfo } from '../../graders/room/board-state.js';
import type { ResultBody } from '../../graders/room/protocol.js';

/** Simulated students and a room run as a user runs it: the tests' and the bench's. */

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** One HTTP request; `localAddress` gives a simulated student an address of its own on loopback (127.0.0.x). */
export function call(
  method: string,
  url: string,
  opts: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; localAddress?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    // A connection of its own each time (agent: false): the tests block their event loop in
    // spawnSync while a grade runs, so a kept-alive socket the room closed meanwhile still looks
    // open and the next request on it fails with "socket hang up".
    const req = request(
      url,
      {
        method,
        agent: false,
        localAddress: opts.localAddress,
        timeout: opts.timeoutMs ?? 10_000,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('error', reject);
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = { text };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A result as a kit posts it: the first `passing` checks pass, the rest fail with a finding. */
export function resultFor(lab: LabInfo, passing: number, imageSize: number | null, finding = 'found /usr/local/go in layer 3 (Dockerfile line 9)'): ResultBody {
  const checks = lab.checks.map((id, i) => (i < passing ? { id, state: 'passed' as const } : { id, state: 'failed' as const, finding }));
  const score = Math.min(passing, lab.checks.length);
  return {
    lab: lab.id,
    passed: score === lab.checks.length,
    score,
    maxScore: lab.checks.length,
    imageSize,
    checks,
    kit: '0.1.0',
    engine: 'Docker Engine - Community 28.0.0',
  };
}

export const studentAddress = (i: number) => `127.0.${1 + Math.floor(i / 250)}.${2 + (i % 250)}`;

export async function join(url: string, code: string, name: string, localAddress?: string): Promise<string> {
  const r = await call('POST', `${url}/api/join`, { body: { code, name }, localAddress });
  if (r.status !== 201) throw new Error(`join ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return String(r.body.token);
}

export const post = (url: string, token: string, body: unknown, localAddress?: string) =>
  call('POST', `${url}/api/results`, { body, headers: { authorization: `Bearer ${token}` }, localAddress });

export interface RoomProcess {
  proc: ChildProcess;
  url: string;
  code: string;
  joinLink: string;
  instructorUrl: string;
  key: string;
  output(): string;
}

/** `stagecraft room` on loopback, as the instructor starts it; resolves once it has printed its links. */
export function startRoomProcess(roomFile: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<RoomProcess> {
  const proc = startCli(['room', '--port', '0', '--host', '127.0.0.1', '--room-file', roomFile, '--no-open', ...extra], env, ['ignore', 'pipe', 'pipe']);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the room did not start:\n${out}`)), 60_000);
    const look = (chunk: Buffer) => {
      out += chunk.toString();
      const joinLink = /join (http:\/\/\S+\/join\/(\w+))/.exec(out);
      const instructor = /(http:\/\/\S+\/instructor\?key=(\S+))/.exec(out);
      if (joinLink && instructor) {
        clearTimeout(timer);
        resolve({
          proc,
          url: new URL(joinLink[1]!).origin,
          code: joinLink[2]!,
          joinLink: joinLink[1]!,
          instructorUrl: instructor[1]!,
          key: instructor[2]!,
          output: () => out,
        });
      }
    };
    proc.stdout!.on('data', look);
    proc.stderr!.on('data', look);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the room exited ${code}:\n${out}`));
    });
  });
}

/** The board's state as a viewer receives it first (`/events`, or the instructor's with the key). */
export function boardSnapshot(
  url: string,
  key?: string,
): Promise<Record<string, unknown> & { rows: { name: string; cells: Record<string, unknown> }[]; posts: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${key ? '/instructor/events' : '/events'}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }, (res) => {
      let text = '';
      res.on('error', () => undefined); // the stream is cut on purpose once the first state is in
      res.on('data', (c: Buffer) => {
        text += c.toString();
        const m = /data: (.*)\n\n/.exec(text);
        if (m) {
          req.destroy();
          resolve(JSON.parse(m[1]!));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Scratch folders of the room's tests, removed by the tests themselves (the suite's global
 * teardown removes `stagecraft-test-*` folders, and on a shared machine another suite's can
 * run in the middle of these tests).
 */
export async function roomScratch(): Promise<{ dir: string; remove(): Promise<void> }> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-roomtest-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
