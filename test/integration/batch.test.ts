import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, loadRecords } from '../../graders/batch/records.js';
import { docker, OWNER_LABEL } from '../../graders/engine/docker.js';
import { CLASS_OF_SIX as CLASS } from '../helpers/class-of-six.js';
import { makeClass } from '../helpers/classroom.js';
import { runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';
import { engineOrFail, leftBehind, NOTHING_LEFT } from '../helpers/engine.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const EXPECTED_CSV = `student,lab1-go,lab1-go status,lab4-java,lab4-java status,total,max
alice,5,passed,5,passed,10,10
bob,2,failed,2,failed,4,10
carol,4,failed,0,not submitted,4,10
dave,0,failed,4,failed,4,10
erin,0,not submitted,5,passed,5,10
frank,5,passed,0,not submitted,5,10
`;

// The tests of stopping and resuming, shards and a lost engine grade the class without bob,
// whose two starters are the longest grades (1 GB and 0.5 GB images to scan): what they prove
// is that no grade is lost or taken twice, which the other eleven cells show as well.
const { bob: _starters, ...CLASS_WITHOUT_BOB } = CLASS;
const EXPECTED_CSV_WITHOUT_BOB = EXPECTED_CSV.replace(/^bob,.*\n/m, '');

let work: string;
let submissions: string;
let withoutBob: string;
let since: Awaited<ReturnType<typeof leftBehind>>;

const batchOf =
  (folder: string) =>
  (out: string, ...extra: string[]) => ['batch', folder, '--labs', 'lab1,lab4', '--out', out, '--min-free', '1', ...extra];
const batchArgs = (out: string, ...extra: string[]) => batchOf(submissions)(out, ...extra);
const lightBatchArgs = (out: string, ...extra: string[]) => batchOf(withoutBob)(out, ...extra);

const csv = (out: string) => readFile(path.join(out, 'gradebook.csv'), 'utf8');

async function resultFiles(out: string): Promise<number> {
  const files = await readdir(path.join(out, 'results'), { recursive: true }).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.json')).length;
}

beforeAll(async () => {
  await engineOrFail();
  since = await leftBehind();
  work = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-class-'));
  submissions = path.join(work, 'submissions');
  await makeClass(submissions, CLASS);
  withoutBob = path.join(work, 'submissions-without-bob');
  await makeClass(withoutBob, CLASS_WITHOUT_BOB);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  expect(await since.added()).toEqual(NOTHING_LEFT);
});

describe('stagecraft batch', () => {
  it('grades the class into exactly the expected gradebook, with JUnit per student and a summary', async () => {
    const out = path.join(work, 'full');
    const r = runCli(batchArgs(out, '--concurrency', '2'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^6 students: graded 9, not submitted 3, could not grade 0\n/);
    expect(await csv(out)).toBe(EXPECTED_CSV);
    expect((await readdir(path.join(out, 'junit'))).sort()).toEqual(['alice.xml', 'bob.xml', 'carol.xml', 'dave.xml', 'erin.xml', 'frank.xml']);
    expect(await readFile(path.join(out, 'junit', 'carol.xml'), 'utf8')).toMatch(/not submitted: no labs\/lab4-java\/Dockerfile/);
    expect(await readFile(path.join(out, 'junit', 'erin.xml'), 'utf8')).toMatch(/labs\/lab1-go\/Dockerfile is a symbolic link, which is never followed/);
    const summary = await readFile(path.join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| alice \| ✅ 5\/5 \| ✅ 5\/5 \| 10\/10 \|/);
    expect(summary).toMatch(/\*\*lab4-java\*\*: 1\. erin .*, 2\. alice/);
    const book = JSON.parse(await readFile(path.join(out, 'gradebook.json'), 'utf8')) as {
      students: { student: string; cells: Record<string, { result?: { dockerfile: string } }> }[];
    };
    expect(book.students.find((s) => s.student === 'alice')!.cells['lab1-go']!.result!.dockerfile).toBe('alice/labs/lab1-go/Dockerfile');
    // The student folders are read, never written.
    expect(existsSync(path.join(submissions, 'alice', 'labs', 'lab1-go', 'stamp.txt'))).toBe(false);

    // A second batch into the same folder without --resume would mix two runs: refused.
    const again = runCli(batchArgs(out));
    expect(again.status).toBe(2);
    expect(again.stderr.trim()).toMatch(/^error: .*already holds 12 results from an earlier batch: add --resume/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);

    // The gradebook page opens in a real browser without errors and lists every student.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${path.join(out, 'gradebook.html')}`);
      const names = await page.$$eval('#gradebook tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
      expect(names).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
      expect(await page.locator('svg circle').count()).toBe(8); // one per image: dave's lab 1 did not parse
      await page.click('#gradebook th:last-child'); // sort by total, ascending
      await page.click('#gradebook th:last-child'); // …and descending
      expect(await page.$eval('#gradebook tbody tr td:first-child', (td) => td.textContent)).toBe('alice');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('loses nothing when killed midway: --resume finishes with the same gradebook', async () => {
    const out = path.join(work, 'killed');
    const child = startCli(lightBatchArgs(out, '--concurrency', '1'));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(async () => (await loadRecords(out).catch(() => [])).filter(isFinal).length >= 3, 300_000);
    child.kill('SIGTERM');
    expect(await exited).not.toBe(0);
    // A grade cut by the SIGTERM is saved as "could not grade", which --resume grades again.
    const kept = (await loadRecords(out)).filter(isFinal).length;
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThan(10);

    const resumed = runCli(lightBatchArgs(out, '--resume', '--concurrency', '2'));
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`${10 - kept} grades to do \\(${kept} already done, kept\\)`));
    expect(await csv(out)).toBe(EXPECTED_CSV_WITHOUT_BOB);
  });

  it('grades shards 1/3, 2/3 and 3/3 that merge into the same gradebook', async () => {
    const shards = ['1/3', '2/3', '3/3'].map((s, i) => ({ shard: s, out: path.join(work, `shard-${i + 1}`) }));
    const sizes: number[] = [];
    for (const { shard, out } of shards) {
      const r = runCli(lightBatchArgs(out, '--shard', shard));
      expect(r.status, r.stderr).toBe(0);
      sizes.push(Number(/^(\d+) students?:/.exec(r.stdout)?.[1]));
    }
    expect(
      sizes.reduce((a, b) => a + b),
      'each student in exactly one shard',
    ).toBe(Object.keys(CLASS_WITHOUT_BOB).length);
    const merged = path.join(work, 'merged');
    const m = runCli(['merge', ...shards.map((s) => s.out), '--out', merged]);
    expect(m.status, m.stderr).toBe(0);
    expect(await csv(merged)).toBe(EXPECTED_CSV_WITHOUT_BOB);
  });

  it('records grades as "could not grade" when the engine goes away, and --resume finishes them', async () => {
    // A socket that forwards to the real engine until the test cuts it: the engine "goes away".
    const proxyPath = path.join(work, 'engine.sock');
    const sockets = new Set<net.Socket>();
    // The engine under test: DOCKER_HOST's socket (a Docker 28 beside the machine's), else the default.
    const engineSocket = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
    const proxy = net.createServer((client) => {
      const upstream = net.connect(engineSocket);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(proxyPath, resolve));
    const out = path.join(work, 'engine-lost');
    const child = startCli(lightBatchArgs(out, '--concurrency', '1'), { DOCKER_HOST: `unix://${proxyPath}` }, ['ignore', 'ignore', 'pipe']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(async () => (await resultFiles(out)) >= 1, 300_000);
    proxy.close();
    for (const s of sockets) s.destroy();

    // It must stop by itself, promptly: a grader that hangs on a lost engine is the failure.
    const stopped = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 120_000))]);
    if (stopped === 'hung') child.kill('SIGKILL');
    expect(stopped, stderr).toBe(2);
    expect(stderr).toMatch(/could not be done; when the engine is back, run the same command with --resume/);
    const partial = await csv(out);
    expect(partial).toMatch(/could not grade|not graded/);
    expect(partial).not.toBe(EXPECTED_CSV_WITHOUT_BOB);
    // The engine itself kept running here (only the socket was cut): remove what the cut grade
    // left. A removal the grade asked for before the cut may still be under way (409): it ends by itself.
    for (const c of await docker().listContainers({ all: true, filters: { label: [OWNER_LABEL] } }))
      await docker()
        .getContainer(c.Id)
        .remove({ force: true })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 409 && err.statusCode !== 404) throw err;
        });
    for (const t of (await since.added()).images)
      await docker()
        .getImage(t)
        .remove({ force: true })
        .catch(() => undefined);

    const resumed = runCli(lightBatchArgs(out, '--resume'));
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(await csv(out)).toBe(EXPECTED_CSV_WITHOUT_BOB);
  });

  it('takes each job once when two workers finish together (nothing submitted: every grade ends at once)', async () => {
    const empty = path.join(work, 'empty-class');
    await makeClass(empty, { ann: { labs: {} }, ben: { labs: {} }, cat: { labs: {} } });
    const out = path.join(work, 'empty-out');
    const r = runCli(['batch', empty, '--labs', 'lab1', '--out', out, '--min-free', '1', '--concurrency', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^3 students: graded 0, not submitted 3, could not grade 0\n/);
    expect((await csv(out)).trim().split('\n')).toHaveLength(4);
  });

  it('refuses to start on an engine that does not answer, in one line', () => {
    const r = runCli(batchArgs(path.join(work, 'no-engine')), { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: no Docker engine answers at unix:\/\/\/nonexistent\/docker\.sock/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses to start when the disk has less free space than --min-free, in one line', () => {
    const r = runCli(['batch', submissions, '--labs', 'lab1', '--out', path.join(work, 'no-space'), '--min-free', '1000000']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^error: only .* free on the disk holding .*; a batch needs at least 1,000,000 GB|^error: only .* free on the disk holding .*; a batch needs at least/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
