import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityAlive } from '../../graders/cleanup/processes.js';
import { docker, GRADER_LABEL, removeImage } from '../../graders/engine/docker.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { HOLDERS } from '../../graders/run/network.js';
import { runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';
import { cleanersDone, engineOrFail } from '../helpers/engine.js';

let work: string;

/** A temp folder of its own for each grader process, so what it leaves is plain to see. */
async function privateTmp(): Promise<string> {
  const dir = path.join(work, `tmp-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir);
  return dir;
}

/** The grader's folders in a temp folder (tsx keeps its own cache there too). */
const graderFolders = async (tmp: string) => (await readdir(tmp)).filter((d) => d.startsWith('stagecraft-'));

/** What the engine holds for one grader process. */
async function madeBy(pid: number) {
  const label = [GRADER_LABEL];
  const mine = (labels?: Record<string, string>) => labels?.[GRADER_LABEL]?.endsWith(`/${pid}`);
  const containers = (await docker().listContainers({ all: true, filters: { label } })).filter((c) => mine(c.Labels));
  const images = (await docker().listImages({ filters: { label } })).filter((i) => mine(i.Labels));
  return { containers: containers.length, images: images.length };
}

/** An app that starts and never answers: its grade waits for it, so the kill lands while the container runs, however fast the build. */
const NEVER_LISTENS = path.join(REPO_ROOT, 'test', 'fixtures', 'hostile', 'never-listens.Dockerfile');

/** Start a lab 1 grade whose container runs and never answers, SIGKILL it once that container is there; its pid. */
async function gradeKilledWhileRunning(tmp: string): Promise<number> {
  const child = startCli(['grade', 'lab1', '--dockerfile', NEVER_LISTENS, '--startup-timeout', '300'], { TMPDIR: tmp });
  const pid = child.pid!;
  const exited = new Promise((r) => child.once('exit', r));
  await until(async () => (await madeBy(pid)).containers > 0, 120_000, 50);
  child.kill('SIGKILL');
  await exited;
  return pid;
}

beforeAll(async () => {
  await engineOrFail();
  work = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-crash-'));
});

afterAll(async () => {
  await removeImage('stagecraft/lab1-go');
  await rm(work, { recursive: true, force: true });
});

describe('a grader stopped at the worst moment leaves nothing behind', () => {
  it('SIGTERM while the build context is being copied: the half-made copy goes too', async () => {
    // A lab folder big enough that copying it takes a while, so the signal lands mid-copy.
    const lab = path.join(work, 'big-lab');
    await mkdir(path.join(lab, 'data'), { recursive: true });
    await Promise.all(Array.from({ length: 4000 }, (_, i) => writeFile(path.join(lab, 'data', `f${i}.txt`), `${i}\n`)));
    await writeFile(path.join(lab, 'Dockerfile'), 'FROM scratch\n');
    const tmp = await privateTmp();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/helpers/interrupted-prepare.ts'), lab, path.join(lab, 'Dockerfile')], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await until(async () => (await graderFolders(tmp)).length > 0, 60_000, 5);
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(143);
    expect(await graderFolders(tmp)).toEqual([]);
  });

  // Its cleanups remove what the grade under way uses (the context it builds from, the container it probes):
  // what that grade finds next is no verdict on the student, whose batch would keep it (CI, a batch stopped midway).
  it.each([
    ['building the image', 'building the image', []],
    ['its container is probed', 'container', [NEVER_LISTENS]],
  ])('SIGTERM while %s: the grade ends in "could not grade", naming the stop, and leaves nothing', async (_, when, dockerfile) => {
    const tmp = await privateTmp();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/helpers/interrupted-grade.ts'), 'lab1', when, ...dockerfile], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    expect(await exited, stderr).toBe(143);
    expect(JSON.parse(stdout), stderr).toEqual({ cannotGrade: "the grader was terminated (SIGTERM) before this grade's verdict; grade it again" });
    expect(await madeBy(child.pid!)).toEqual({ containers: 0, images: 0 });
    expect(await graderFolders(tmp)).toEqual([]);
  });

  it("SIGKILL mid-run: the next grade removes the dead grader's container, image and folder, and keeps that out of its report", async () => {
    const tmp = await privateTmp();
    const pid = await gradeKilledWhileRunning(tmp);
    expect(await madeBy(pid)).toEqual({ containers: 1, images: 1 });
    expect((await graderFolders(tmp)).filter((d) => d.startsWith(`stagecraft-grade-${pid}-`))).toHaveLength(1);

    const next = runCli(['grade', 'lab1', '--solution'], { TMPDIR: tmp }, 300_000);
    expect(next.status, next.stderr).toBe(0);
    await cleanersDone(tmp); // the sweep is the work of the process the grade handed its clean-up to
    // Another process's leftovers are not the student's business (issue 21): swept, not said.
    expect(`${next.stdout}${next.stderr}`).not.toContain('left by a grader');
    expect(await madeBy(pid)).toEqual({ containers: 0, images: 0 });
    expect(await graderFolders(tmp)).toEqual([]);
  });

  it('a grade hands its clean-up to a process of its own: the prompt comes back with the verdict, and nothing is left once that process ends', async () => {
    const tmp = await privateTmp();
    const child = startCli(['grade', 'lab1', '--solution'], { TMPDIR: tmp }, ['ignore', 'pipe', 'pipe']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    // At once, as the shell gets its prompt back: a cleaner is named, and at work.
    const marker = (await graderFolders(tmp)).find((d) => d === `stagecraft-cleaner-${child.pid}`);
    const cleaner = marker ? await readFile(path.join(tmp, marker), 'utf8') : '';
    expect({ code, marker, cleanerAlive: identityAlive(cleaner) }).toEqual({
      code: 0,
      marker: `stagecraft-cleaner-${child.pid}`,
      cleanerAlive: true,
    });
    expect(out).toContain('all checks passed');
    // The firewall rules were handed over with the rest: the grader let go on its way out, the cleaner once done.
    const holdersOf = async (pids: number[]) => (await readdir(HOLDERS).catch(() => [])).filter((h) => pids.some((pid) => h.startsWith(`${pid}-`)));
    expect(await holdersOf([child.pid!])).toEqual([]);
    await cleanersDone(tmp);
    expect(await madeBy(child.pid!)).toEqual({ containers: 0, images: 0 });
    expect(await graderFolders(tmp)).toEqual([]);
    expect(await holdersOf([Number(cleaner.split(' ')[0])])).toEqual([]);
  });

  it('`stagecraft clean` sweeps the same, keeps an image kept with --keep-image, and says when there is nothing to do', async () => {
    const tmp = await privateTmp();
    const kept = runCli(['grade', 'lab1', '--solution', '--keep-image'], { TMPDIR: tmp }, 300_000);
    expect(kept.status, kept.stderr).toBe(0);
    expect(kept.stdout).toContain('the image is kept as stagecraft/lab1-go: try `docker run --rm -p 8080:8080 stagecraft/lab1-go`');
    const keptId = (await docker().getImage('stagecraft/lab1-go').inspect()).Id;

    const pid = await gradeKilledWhileRunning(tmp);
    const clean = runCli(['clean'], { TMPDIR: tmp }, 300_000);
    expect(clean.status, clean.stderr).toBe(0);
    expect(clean.stdout).toBe(`removed 1 container, 1 image and 1 temporary folder left by a grader that was stopped without cleaning up (pid ${pid})\n`);
    expect(await madeBy(pid)).toEqual({ containers: 0, images: 0 });
    expect((await docker().getImage('stagecraft/lab1-go').inspect()).Id).toBe(keptId);

    const again = runCli(['clean'], { TMPDIR: tmp }, 300_000);
    expect(again.stdout).toBe('nothing to clean: no grader left anything behind\n');
  });
});
