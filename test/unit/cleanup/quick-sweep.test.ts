import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processIdentity } from '../../../graders/cleanup/processes.js';
import { fakeEngine } from '../../helpers/fake-engine.js';

// This file's worker has a temporary folder and a fake engine of its own: what a sweep asks of the engine is recorded.
const engine = fakeEngine('sweep');
const tmp = path.join(engine.dir, 'tmp');
mkdirSync(tmp);
process.env.TMPDIR = tmp;
const { sweepLeftovers } = await import('../../../graders/cleanup/leftovers.js');

/** A pid no process has now: a child that has ended. */
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
const asked: string[] = [];
beforeAll(() =>
  engine.start((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    asked.push(`${req.method} ${url.pathname.replace(/^\/v[\d.]+/, '')}`);
    res.setHeader('content-type', 'application/json');
    if (url.pathname.endsWith('/images/json'))
      return res.end(
        JSON.stringify([{ Id: 'sha256:left', RepoTags: ['stagecraft-grade/lab1-go:abc'], Labels: { 'org.stagecraft.grader': `${hostname()}/${deadPid}` } }]),
      );
    if (url.pathname.endsWith('/containers/json')) return res.end('[]');
    res.end('{}');
  }),
);
afterAll(() => engine.stop());

describe("a student's grade sweeping what killed graders left (quick)", () => {
  it('lists the images when they were not listed here for a day, and notes when they were', async () => {
    asked.length = 0;
    expect(await sweepLeftovers({ quick: true })).toMatchObject({ images: 1 });
    expect(asked).toContain('GET /images/json');
    expect(readdirSync(tmp)).toEqual(['.stagecraft-images-listed']);
  });

  it('does not list them when no dead grader left a container or a folder here', async () => {
    asked.length = 0;
    expect(await sweepLeftovers({ quick: true })).toEqual({ containers: 0, images: 0, folders: 0, pids: [] });
    expect(asked).toEqual(['GET /containers/json']);
  });

  it("lists them when a dead grader's folder is here, removes its image, then its folder", async () => {
    asked.length = 0;
    mkdirSync(path.join(tmp, `stagecraft-grade-${deadPid}-AbC123`));
    expect(await sweepLeftovers({ quick: true })).toEqual({ containers: 0, images: 1, folders: 1, pids: [deadPid] });
    expect(asked).toEqual(['GET /containers/json', 'GET /images/json', 'DELETE /images/sha256:left']);
    expect(readdirSync(tmp)).toEqual(['.stagecraft-images-listed']);
  });

  it('takes a grader whose clean-up a live process took over for alive, and one whose cleaner died for dead (its marker goes)', async () => {
    const folder = `stagecraft-grade-${deadPid}-XyZ789`;
    mkdirSync(path.join(tmp, folder));
    writeFileSync(path.join(tmp, `stagecraft-cleaner-${deadPid}`), processIdentity(process.pid)); // this worker stands in for the cleaner
    asked.length = 0;
    expect(await sweepLeftovers({ quick: true })).toEqual({ containers: 0, images: 0, folders: 0, pids: [] });
    expect(asked).toEqual(['GET /containers/json']);
    expect(readdirSync(tmp).sort()).toEqual(['.stagecraft-images-listed', `stagecraft-cleaner-${deadPid}`, folder]);

    writeFileSync(path.join(tmp, `stagecraft-cleaner-${deadPid}`), `${process.pid} 1`); // the cleaner's pid is another process's now
    expect(await sweepLeftovers({ quick: true })).toEqual({ containers: 0, images: 1, folders: 1, pids: [deadPid] });
    expect(readdirSync(tmp)).toEqual(['.stagecraft-images-listed']);
    rmSync(path.join(tmp, folder), { recursive: true, force: true });
  });

  it('`stagecraft clean` (not quick) always lists them', async () => {
    asked.length = 0;
    expect((await sweepLeftovers()).images).toBe(1);
    expect(asked).toContain('GET /images/json');
  });
});
