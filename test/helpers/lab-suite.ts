import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckId } from '../../graders/checks/types.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { findLab, labDir, solutionDir, type LabDefinition } from '../../graders/lab.js';
import { cacheNamespace } from '../../graders/prepare/cache-mounts.js';
import { grade } from '../../graders/pipeline/grade.js';
import type { GradeResult } from '../../graders/pipeline/result.js';
import { engineOrFail, leftBehind, NOTHING_LEFT } from './engine.js';

/** A Dockerfile in test/fixtures/<lab>/ and exactly what it must fail (and skip). */
export interface KnownBad {
  file: string;
  fails: CheckId[];
  skips?: CheckId[];
  message?: [CheckId, RegExp];
  /** More that the messages must say (every finding of a case, say). */
  also?: [CheckId, RegExp][];
  hint?: [CheckId, RegExp];
  note?: RegExp;
}

export interface LabSpec {
  lab: string;
  /** The checks the bloated starter fails: what the lab teaches. */
  starterFails: CheckId[];
  starterMessages?: [CheckId, RegExp][];
  knownBad: KnownBad[];
}

export const failing = (r: GradeResult) => r.checks.filter((c) => !c.passed && !c.skipped).map((c) => c.id);
export const skipped = (r: GradeResult) => r.checks.filter((c) => c.skipped).map((c) => c.id);
export const check = (r: GradeResult, id: string) => r.checks.find((c) => c.id === id)!;

async function folderHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).sort((a, b) =>
    path.join(a.parentPath, a.name).localeCompare(path.join(b.parentPath, b.name)),
  );
  for (const e of entries) {
    const full = path.join(e.parentPath, e.name);
    h.update(full);
    if (e.isFile()) h.update(await readFile(full));
  }
  return h.digest('hex');
}

/**
 * The integration suite every lab gets, on the real engine: the solution passes every
 * check; the starter fails what the lab teaches; each known-bad Dockerfile fails exactly
 * its target checks; skipped checks are never passed; nothing is left behind and the lab
 * folder is never modified.
 */
export function labSuite(spec: LabSpec): { lab: () => LabDefinition } {
  let lab: LabDefinition;
  let hashBefore: string;
  let since: Awaited<ReturnType<typeof leftBehind>>;

  beforeAll(async () => {
    await engineOrFail();
    lab = await findLab(spec.lab);
    hashBefore = await folderHash(labDir(lab));
    since = await leftBehind();
  });

  afterAll(async () => {
    expect(await since.added()).toEqual(NOTHING_LEFT);
    expect(await folderHash(labDir(lab))).toBe(hashBefore);
  });

  describe(`${spec.lab} reference solution`, () => {
    it('passes every check', async () => {
      const r = await grade(lab, { dockerfile: { kind: 'solution' } });
      expect(r.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
      expect(r).toMatchObject({ lab: lab.id, dockerfile: `solutions/${lab.id}/Dockerfile`, passed: true, score: lab.checks.length });
    });
  });

  describe(`${spec.lab} starter`, () => {
    it(`fails ${spec.starterFails.join(', ')} and nothing else`, async () => {
      const r = await grade(lab);
      expect(failing(r).sort()).toEqual([...spec.starterFails].sort());
      expect(skipped(r)).toEqual([]);
      for (const [id, message] of spec.starterMessages ?? []) expect(check(r, id).message).toMatch(message);
    });
  });

  describe.concurrent(`${spec.lab} known-bad Dockerfiles`, () => {
    it.each(spec.knownBad)('$file fails exactly $fails', async ({ file, fails, skips, message, also, hint, note }) => {
      // The fixtures are ours, not hostile to each other: they share the reference solution's
      // cache mounts (warm from its grade above), so the suite does not compile cold a dozen
      // times. Isolation between submissions has its own test (the cache-poisoning case).
      const cacheNs = cacheNamespace(lab.id, path.join(solutionDir(lab), 'Dockerfile'));
      const r = await grade(lab, {
        dockerfile: { kind: 'path', path: path.join(REPO_ROOT, 'test', 'fixtures', lab.id, `${file}.Dockerfile`) },
        cacheNamespace: cacheNs,
      });
      const why = r.checks.map((c) => `${c.passed ? '✓' : c.skipped ? '–' : '✗'} ${c.id}: ${c.message}`).join('\n');
      expect(failing(r).sort(), why).toEqual([...fails].sort());
      expect(skipped(r).sort(), why).toEqual([...(skips ?? [])].sort());
      for (const c of r.checks) if (c.skipped) expect(c.passed).toBe(false);
      expect(r.passed).toBe(fails.length === 0);
      if (message) expect(check(r, message[0]).message, why).toMatch(message[1]);
      for (const [id, text] of also ?? []) expect(check(r, id).message, why).toMatch(text);
      if (hint) expect(check(r, hint[0]).hint, why).toMatch(hint[1]);
      if (note) expect(r.notes.join('\n')).toMatch(note);
    });
  });

  return { lab: () => lab };
}
