import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roomScratch } from '../../helpers/room.js';
import { joinRoom, parseJoinLink, postResult, POST_TIMEOUT_MS, resultBody } from '../../../graders/room/client.js';
import type { GradeResult } from '../../../graders/pipeline/result.js';
import { readFileSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../../../graders/kit/locations.js';

const RESULT: GradeResult = {
  lab: 'lab1-go',
  dockerfile: '/nonexistent/Dockerfile',
  passed: false,
  score: 1,
  maxScore: 2,
  image: { size: 1234, standInBases: [] },
  checks: [
    { id: 'builds', title: '', passed: true, skipped: false, message: 'built', hint: '', slide: '', details: {} },
    { id: 'size', title: '', passed: false, skipped: false, message: `the image is 900 MB\u001b[31m\n${'x'.repeat(400)}`, hint: '', slide: '', details: {} },
  ],
  notes: [],
  durationMs: 1,
  timings: {},
};

const scratch: { remove(): Promise<void> }[] = [];
afterAll(() => Promise.all(scratch.map((s) => s.remove())));
async function scratchDir(): Promise<string> {
  const s = await roomScratch();
  scratch.push(s);
  return s.dir;
}

let saved: string | undefined;
beforeEach(() => {
  saved = process.env.STAGECRAFT_STATE_DIR;
});
afterEach(() => {
  if (saved === undefined) delete process.env.STAGECRAFT_STATE_DIR;
  else process.env.STAGECRAFT_STATE_DIR = saved;
});

describe("the student's side", () => {
  it('reads a join link, and refuses anything else in one line', () => {
    expect(parseJoinLink('http://192.168.1.20:4300/join/k7p2qx')).toEqual({ url: 'http://192.168.1.20:4300', code: 'K7P2QX' });
    expect(() => parseJoinLink('192.168.1.20:4300')).toThrow(/is not a room's join link: copy the one the board shows/);
    expect(() => parseJoinLink('file:///join/ABCDEF')).toThrow(/is not a room's join link/);
  });

  it('sends verdicts, findings as one short line, the size — never the Dockerfile unless shared', async () => {
    const body = await resultBody(RESULT, undefined);
    expect(body).toMatchObject({
      lab: 'lab1-go',
      score: 1,
      maxScore: 2,
      imageSize: 1234,
      checks: [
        { id: 'builds', state: 'passed' },
        { id: 'size', state: 'failed' },
      ],
    });
    expect(body.checks[1]!.finding).toMatch(/^the image is 900 MB\\x1b\[31m\\nx+$/);
    expect(body.checks[1]!.finding!.length).toBe(300);
    expect('dockerfile' in body).toBe(false);
  });

  it('does nothing for a kit in no room', async () => {
    process.env.STAGECRAFT_STATE_DIR = await scratchDir();
    expect(await postResult(RESULT)).toBeUndefined();
  });

  it('gives up on a room that does not answer within its time limit, in one line', async () => {
    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const dir = await scratchDir();
    process.env.STAGECRAFT_STATE_DIR = dir;
    await mkdir(dir, { recursive: true });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    await writeFile(path.join(dir, 'room.json'), JSON.stringify({ url, code: 'ABCDEF', name: 'alice', token: 't', shareDockerfile: false, joinedAt: '' }));
    const t0 = Date.now();
    const line = await postResult(RESULT);
    const took = Date.now() - t0;
    silent.closeAllConnections();
    silent.close();
    expect(line).toBe(
      `room: not posted: cannot reach the room at ${url} (it did not answer in time): is the instructor's room running, and is this computer on the same network? Your grade is not affected.`,
    );
    expect(took).toBeLessThan(POST_TIMEOUT_MS + 1000);
  });

  it('says in one line when no room is there to join', async () => {
    process.env.STAGECRAFT_STATE_DIR = await scratchDir();
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r)); // a port where nothing listens
    await expect(joinRoom(`http://127.0.0.1:${port}/join/ABCDEF`, 'alice', false)).rejects.toThrow(
      `cannot reach the room at http://127.0.0.1:${port} (ECONNREFUSED): is the instructor\'s room running, and is this computer on the same network?`,
    );
  });
});

/** The packages importing a kit module loads: its value imports (types are erased), followed through the kit's own files. */
function packagesLoadedBy(file: string, seen = new Set<string>(), packages = new Set<string>()): Set<string> {
  if (seen.has(file)) return packages;
  seen.add(file);
  for (const s of ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest).statements) {
    if (!(ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) || !s.moduleSpecifier || !ts.isStringLiteral(s.moduleSpecifier)) continue;
    const clause = ts.isImportDeclaration(s) ? s.importClause : undefined;
    const named = clause?.namedBindings;
    const typesOnly = ts.isExportDeclaration(s)
      ? s.isTypeOnly
      : clause?.isTypeOnly || (clause && !clause.name && named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly));
    if (typesOnly) continue;
    const name = s.moduleSpecifier.text;
    if (name.startsWith('.')) packagesLoadedBy(path.resolve(path.dirname(file), name.replace(/\.js$/, '.ts')), seen, packages);
    else packages.add(name);
  }
  return packages;
}

describe("a grade's post to the room", () => {
  // Every student's grade loads the client to post its result (or find it joined no room), on the way to the prompt.
  it('loads no schema library (zod: about 40 ms of the exit); the room server checks the shapes', () => {
    expect([...packagesLoadedBy(path.join(REPO_ROOT, 'graders/room/client.ts'))]).not.toContain('zod');
    expect([...packagesLoadedBy(path.join(REPO_ROOT, 'graders/room/server.ts'))]).toContain('zod'); // the walk finds it where it is
  });
});
