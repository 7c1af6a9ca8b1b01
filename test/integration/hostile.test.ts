import { mkdtemp, readdir, symlink, writeFile, rm } from 'node:fs/promises';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../graders/build/build.js';
import { removeImage } from '../../graders/engine/docker.js';
import { findLab, labDir, type LabDefinition } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { prepareContext } from '../../graders/prepare/context.js';
import { HOSTILE_CASES, HOSTILE_DIR, HOSTILE_LIMITS } from '../fixtures/hostile/cases.js';
import { CATALOGUE } from '../../graders/images/catalogue.js';
import { ensureImages } from '../../graders/images/provision.js';
import { engineOrFail, leftovers } from '../helpers/engine.js';

let lab: LabDefinition;
let before: Awaited<ReturnType<typeof leftovers>>;

beforeAll(async () => {
  await engineOrFail();
  lab = await findLab('lab1');
  before = await leftovers();
  // Base images first, so each case's time is the time to contain it, not to provision.
  await ensureImages(CATALOGUE.filter((i) => ['debian:trixie-slim', 'golang:1.24-trixie'].includes(i.ref)), { standIns: true, log: () => undefined });
});

afterAll(async () => {
  // The corpus's own scratch files (the 50 MB Dockerfile) go too.
  for (const d of await readdir(tmpdir())) if (d.startsWith('stagecraft-hostile-')) await rm(path.join(tmpdir(), d), { recursive: true, force: true });
  // Contained means: nothing left behind, whatever the submission did.
  const after = await leftovers();
  const added = (key: keyof typeof after) => after[key].filter((x) => !before[key].includes(x));
  expect({ containers: added('containers'), images: added('images'), tempDirs: added('tempDirs') }).toEqual({ containers: [], images: [], tempDirs: [] });
});

describe.concurrent('the hostile corpus: each submission ends as a failed check, in time, leaving nothing behind', () => {
  it.each(HOSTILE_CASES)('$name', async (c) => {
    const started = Date.now();
    const result = await grade(lab, { ...HOSTILE_LIMITS, dockerfile: { kind: 'path', path: await c.dockerfile() } });
    const seconds = (Date.now() - started) / 1000;
    const check = result.checks.find((k) => k.id === c.fails)!;
    const why = result.checks.map((k) => `${k.passed ? '✓' : k.skipped ? '–' : '✗'} ${k.id}: ${k.message}`).join('\n');
    expect(check.passed, why).toBe(false);
    expect(check.skipped, why).toBe(false);
    expect(check.message, why).toMatch(c.message);
    for (const id of c.skips ?? []) expect(result.checks.find((k) => k.id === id)!.skipped, why).toBe(true);
    if (c.output) {
      const output = JSON.stringify(check.details.logTail ?? check.details.output ?? []);
      expect(output, why).toMatch(c.output);
    }
    expect(seconds).toBeLessThan(c.withinSeconds);
  });
});

describe('a context symlink to a host file', () => {
  it('is sent as a link: the build never sees the host file', async () => {
    const secretDir = await mkdtemp(path.join(tmpdir(), 'stagecraft-hostile-'));
    const secret = path.join(secretDir, 'secret.txt');
    await writeFile(secret, 'stagecraft-host-secret\n');
    const labCopy = await mkdtemp(path.join(tmpdir(), 'stagecraft-hostile-'));
    await cp(labDir(lab), labCopy, { recursive: true });
    await symlink(secret, path.join(labCopy, 'host-link'));
    const context = await prepareContext({ labDir: labCopy, dockerfile: path.join(HOSTILE_DIR, 'host-symlink.Dockerfile'), stampFile: 'stamp.txt' });
    const tag = `stagecraft-grade/hostile:${randomBytes(4).toString('hex')}`;
    try {
      const build = await buildImage({ contextDir: context.dir, tag, timeoutMs: 60_000 });
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
