import { mkdtemp, readdir, readFile, symlink, writeFile, rm } from 'node:fs/promises';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../graders/buildkit/build.js';
import { buildFence } from '../../graders/fence/index.js';
import { buildCacheRecords, engineAnswers, removeImage } from '../../graders/engine/docker.js';
import { findLab, labDir, type LabDefinition } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { prepareContext } from '../../graders/prepare/context.js';
import { caseOptions, HOSTILE_CASES, HOSTILE_DIR, judgeCase, observeSteps, PIDS_PROBE, type HostileCase } from '../fixtures/hostile/cases.js';
import { CATALOGUE } from '../../graders/images/catalogue.js';
import { ensureImages } from '../../graders/standins/provision.js';
import { engineOrFail, leftBehind, NOTHING_LEFT } from '../helpers/engine.js';
import { otherHolders, removeHostRules } from '../../graders/run/network.js';
import { spawnSync } from 'node:child_process';

let since: Awaited<ReturnType<typeof leftBehind>>;
const labs = new Map<string, LabDefinition>();
let pidsFenceHolds = false;

/** Processes the corpus's build steps started, if any survived their step: none may. */
async function survivors(): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
    if (/^sleep 424[12]$|bomb\(\)/.test(cmd)) found.push(`${pid} ${cmd}`);
  }
  return found;
}

async function run(c: HostileCase): Promise<void> {
  const lab = labs.get(c.lab ?? 'lab1')!;
  const dockerfile = await c.dockerfile();
  const observer = c.observe ? observeSteps(c.observe) : undefined;
  const started = Date.now();
  const result = await grade(lab, { ...caseOptions(c), dockerfile: { kind: 'path', path: dockerfile } }).catch(async (err: unknown) => {
    await observer?.stop();
    throw err;
  });
  const seconds = (Date.now() - started) / 1000;
  const problems = judgeCase(c, result, seconds, await observer?.stop());
  expect(problems, problems.join('\n')).toEqual([]);
}

beforeAll(async () => {
  await engineOrFail();
  for (const id of ['lab1', 'lab2', 'lab3']) labs.set(id, await findLab(id));
  since = await leftBehind();
  // Base images first, so each case's time is the time to contain it, not to provision.
  await ensureImages(
    CATALOGUE.filter((i) => ['debian:trixie-slim', 'golang:1.24-trixie', 'python:3.13-trixie', 'python:3.13-slim-trixie'].includes(i.ref)),
    { standIns: true, log: () => undefined },
  );
  const fence = await buildFence();
  if ('reason' in fence) throw new Error(`the build-time cases need the build fence, which is off here: ${fence.reason}`);
});

afterAll(async () => {
  // The corpus's own scratch files (the 50 MB Dockerfile) go too.
  for (const d of await readdir(tmpdir())) if (d.startsWith('stagecraft-hostile-')) await rm(path.join(tmpdir(), d), { recursive: true, force: true });
  // The firewall rules go with the last grader (a test worker may be stopped without its exit handlers).
  removeHostRules();
  // A grader of another run on this machine (CI beside a developer) still holds them: then they stay, rightly.
  const held = otherHolders().length > 0;
  const rules = held ? [] : (spawnSync('iptables', ['-S'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((l) => l.includes('stagecraft-no-host'));
  // Contained means: nothing left behind, whatever the submission did, and the engine still answering.
  const added = await since.added();
  const ballast = (await buildCacheRecords()).filter((r) => r.Description.includes('ballast-stagecraft-hostile')).length;
  expect({
    ...added,
    processes: await survivors(),
    ballastRecords: ballast,
    engineAnswers: await engineAnswers(),
    firewallRules: rules,
  }).toEqual({ ...NOTHING_LEFT, processes: [], ballastRecords: 0, engineAnswers: true, firewallRules: [] });
});

describe('the build fences, proved with bounded probes first', () => {
  it(PIDS_PROBE.name, async () => {
    await run(PIDS_PROBE);
    pidsFenceHolds = true;
  });
});

// A case that freezes the grader's own loop runs alone: it would freeze the cases beside it.
describe('the build fence holds while the grader is frozen', () => {
  it.each(HOSTILE_CASES.filter((c) => c.alone))('$name', async (c) => {
    await run(c);
  });
});

// Build-time cases side by side, then run-time cases side by side (vitest runs five at
// once): a disk filler and a memory hog beside them slowed the run-time cases' containers
// past their 8 s start-up limit on a busy 2-core machine.
describe.concurrent('the hostile corpus at build time: each submission ends as a failed check, in time, leaving nothing behind', () => {
  it.each(HOSTILE_CASES.filter((c) => c.stage === 'build' && !c.alone))('$name', async (c) => {
    // A fork bomb runs only under a pids fence seen to hold.
    if (c.needsPidsFence && !pidsFenceHolds) throw new Error('not run: the pids fence did not hold in its bounded probe');
    await run(c);
  });
});

describe.concurrent('the hostile corpus at run time: each submission ends as a failed check, in time, leaving nothing behind', () => {
  it.each(HOSTILE_CASES.filter((c) => c.stage === 'run'))('$name', async (c) => {
    await run(c);
  });
});

describe('a context symlink to a host file', () => {
  it('is sent as a link: the build never sees the host file', async () => {
    const lab = labs.get('lab1')!;
    const secretDir = await mkdtemp(path.join(tmpdir(), 'stagecraft-hostile-'));
    const secret = path.join(secretDir, 'secret.txt');
    await writeFile(secret, 'stagecraft-host-secret\n');
    const labCopy = await mkdtemp(path.join(tmpdir(), 'stagecraft-hostile-'));
    await cp(labDir(lab), labCopy, { recursive: true });
    await symlink(secret, path.join(labCopy, 'host-link'));
    const context = await prepareContext({ labDir: labCopy, dockerfile: path.join(HOSTILE_DIR, 'host-symlink.Dockerfile'), stampFile: 'stamp.txt' });
    const tag = `stagecraft-grade/hostile:${randomBytes(4).toString('hex')}`;
    try {
      const build = await buildImage({ contextDir: context.dir, tag, timeoutMs: 60_000, network: 'none' });
      // BuildKit resolves the link inside the context, where its target is not: COPY fails.
      // (Had the content come along, the RUN would have found the secret and passed.)
      expect(build.ok).toBe(false);
      expect(`${build.failedStep?.error} ${build.failedStep?.tail.join('\n')}`).toMatch(/not found|the host file is not here/);
      expect(build.failedStep?.tail ?? []).not.toContain("read the host's file");
    } finally {
      await removeImage(tag);
      await context.remove();
      await rm(labCopy, { recursive: true, force: true });
      await rm(secretDir, { recursive: true, force: true });
    }
  });
});
