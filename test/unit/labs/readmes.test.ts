import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../graders/format/bytes.js';
import { allLabs, labDir } from '../../../graders/lab.js';
import { labFacts, statedCeilings } from '../../../scripts/slides/facts.js';

const labs = await allLabs();
const facts = await labFacts();

describe("each lab's README agrees with its grader", () => {
  it.each(labs.map((l) => [l.id, l] as const))("%s: every ceiling it states is the size check's", async (_id, lab) => {
    const readme = await readFile(path.join(labDir(lab), 'README.md'), 'utf8');
    // The one source: the ceiling the lab's size check holds (slides/data/labs.json is written from it).
    const bytes = facts[lab.id]?.ceiling;
    expect(bytes, 'the lab has a size check').toBeDefined();
    const ceiling = formatBytes(bytes!);
    const stated = statedCeilings(readme);
    expect(stated.length, 'the checks table states the ceiling').toBeGreaterThanOrEqual(1);
    expect(
      stated.filter((s) => s !== ceiling),
      `the grader's ceiling is ${ceiling}`,
    ).toEqual([]);
  });

  it.each(labs.map((l) => [l.id, l] as const))(
    '%s: the stamp that came along with the sources is left to a check the lab has, not to runs',
    async (_id, lab) => {
      const readme = await readFile(path.join(labDir(lab), 'README.md'), 'utf8');
      expect(readme).not.toMatch(/the stamp file itself, or its content in any other file, in the final image fails `runs`/);
      const sentence = /a `stamp\.txt` that only came along with the sources[^|]*?is not what `runs` judges: [^|]*?fails `([\w-]+)`/.exec(readme);
      expect(sentence, 'the README says which check judges it').not.toBeNull();
      expect(lab.checks.map((c) => c.id)).toContain(sentence![1]);
      expect(['no-toolchain', 'no-secrets']).toContain(sentence![1]);
    },
  );
});
