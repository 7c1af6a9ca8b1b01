import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allLabs, labDir } from '../../graders/lab.js';

/** Every phrase of a README that states a size ceiling: "at most **320 MB**", "under **20 MB**", "160 MB or less", "the ceiling is a generous 160 MB". */
function statedCeilings(text: string): string[] {
  const found: string[] = [];
  const phrases = [/\b(?:at most|under|ceiling is(?: a generous)?|ceiling of)\s+\**(\d+(?:\.\d+)?\s*[MG]B)\**/gi, /\**(\d+(?:\.\d+)?\s*[MG]B)\**\s+or less/gi];
  for (const re of phrases) for (const m of text.matchAll(re)) found.push(m[1]!.replace(/\s+/, ' '));
  return found;
}

const labs = await allLabs();

describe("each lab's README agrees with its grader", () => {
  it.each(labs.map((l) => [l.id, l] as const))('%s: every ceiling it states is the size check\'s', async (_id, lab) => {
    const readme = await readFile(path.join(labDir(lab), 'README.md'), 'utf8');
    const size = lab.checks.find((c) => c.id === 'size');
    expect(size, 'the lab has a size check').toBeDefined();
    // The grader's own words: "the final image is at most 320 MB".
    const ceiling = /at most (\S+ [MG]B)$/.exec(size!.title)?.[1];
    expect(ceiling).toBeDefined();
    const stated = statedCeilings(readme);
    expect(stated.length, 'the checks table states the ceiling').toBeGreaterThanOrEqual(1);
    expect(stated.filter((s) => s !== ceiling), `the grader's ceiling is ${ceiling}`).toEqual([]);
  });

  it.each(labs.map((l) => [l.id, l] as const))('%s: the stamp that came along with the sources is left to a check the lab has, not to runs', async (_id, lab) => {
    const readme = await readFile(path.join(labDir(lab), 'README.md'), 'utf8');
    expect(readme).not.toMatch(/the stamp file itself, or its content in any other file, in the final image fails `runs`/);
    const sentence = /a `stamp\.txt` that only came along with the sources[^|]*?is not what `runs` judges: [^|]*?fails `([\w-]+)`/.exec(readme);
    expect(sentence, 'the README says which check judges it').not.toBeNull();
    expect(lab.checks.map((c) => c.id)).toContain(sentence![1]);
    expect(['no-toolchain', 'no-secrets']).toContain(sentence![1]);
  });
});
