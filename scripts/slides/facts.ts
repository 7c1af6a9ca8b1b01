/**
 * The figures the decks take from elsewhere in the kit, written where the decks (and the
 * graders' reports) can read them without loading the graders in a browser:
 *   slides/data/labs.json         each lab's size ceiling, from its grader (graders/labs/<lab>.ts)
 *   slides/data/slide-index.json  each module slide's title and its number in the workshop deck,
 *                                 so a hint's "read: slides/03-go.md#3" can name both
 * `npm run slides`, `slides:build` and `slides:pdf` write them first; test/slides/facts.test.ts
 * fails when the committed files are not what the graders and decks say. labFacts() is the one
 * source of a lab's ceiling for people too: the decks read it (<LabCeiling>), and the tests hold
 * every ceiling typed in labs/README.md, a lab's README or a slide (statedCeilings) against it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from '@slidev/parser/fs';
import type { Evidence } from '../../graders/checks/types.js';
import { allLabs } from '../../graders/lab.js';
import { SLIDES_DIR } from './decks.js';

export const LABS_FILE = path.join(SLIDES_DIR, 'data', 'labs.json');
export const SLIDE_INDEX_FILE = path.join(SLIDES_DIR, 'data', 'slide-index.json');

export interface LabFacts {
  /** Bytes, decimal: the size check's ceiling. */
  ceiling?: number;
  /** The check ids the lab grades, in its order. */
  checks: string[];
}

/** The ceiling a size check holds: its verdict on an empty image reports it (a check is data + one pure function). */
function ceilingOf(check: { id: string; evaluate(e: Evidence): { details?: Record<string, unknown> } }): number | undefined {
  if (check.id !== 'size') return undefined;
  const verdict = check.evaluate({ image: { size: 0, layers: [] } } as unknown as Evidence);
  return typeof verdict.details?.ceiling === 'number' ? verdict.details.ceiling : undefined;
}

export async function labFacts(): Promise<Record<string, LabFacts>> {
  const out: Record<string, LabFacts> = {};
  for (const lab of await allLabs()) {
    const ceiling = lab.checks.map(ceilingOf).find((c) => c !== undefined);
    out[lab.id] = { ...(ceiling !== undefined ? { ceiling } : {}), checks: lab.checks.map((c) => c.id) };
  }
  return out;
}

/**
 * Every size ceiling a text states, as a person writes one: "at most **320 MB**", "under
 * **20 MB**", "160 MB or less", "the ceiling is a generous 160 MB", "(ceiling 20 MB)",
 * "size ≤ 25 MB". The tests hold each against labFacts(): lab READMEs, labs/README.md, the decks.
 */
export function statedCeilings(text: string): string[] {
  const found: string[] = [];
  const phrases = [
    /(?:\bat most|\bunder|\bceiling(?: is(?: a generous)?| of)?|≤)\s*\**(\d+(?:\.\d+)?\s*[kMG]B)\b\**/gi,
    /\**(\d+(?:\.\d+)?\s*[kMG]B)\**\s+or less/gi,
  ];
  for (const re of phrases) for (const m of text.matchAll(re)) found.push(m[1]!.replace(/\s+/, ' '));
  return found;
}

export interface SlideRef {
  title: string;
  /** The slide's number in the workshop deck (slides/workshop.md), as the room sees it. */
  workshop: number;
}

const plainTitle = (t: string | undefined) => (t ?? '').replace(/`/g, '').trim();

/** `slides/03-go.md#3` → its title and its workshop number, for every slide of every module. */
export async function slideIndex(): Promise<Record<string, SlideRef>> {
  const workshop = (await load(SLIDES_DIR, path.join(SLIDES_DIR, 'workshop.md'))).slides;
  const out: Record<string, SlideRef> = {};
  // The workshop imports each module whole: a module's slide n is the n-th workshop slide from that module's file.
  const byModule = new Map<string, number[]>();
  for (const s of workshop) {
    const file = path.basename(String(s.importChain?.[0]?.frontmatter?.src ?? ''));
    if (!/^\d\d-.*\.md$/.test(file)) continue;
    byModule.set(file, [...(byModule.get(file) ?? []), s.index]);
  }
  for (const [file, indices] of byModule) {
    indices.forEach((index, n) => {
      out[`slides/${file}#${n + 1}`] = { title: plainTitle(workshop[index]!.title), workshop: index + 1 };
    });
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** What the two files should hold now. */
export async function expectedFacts(): Promise<{ file: string; text: string }[]> {
  return [
    { file: LABS_FILE, text: json(await labFacts()) },
    { file: SLIDE_INDEX_FILE, text: json(await slideIndex()) },
  ];
}

/** Write the files that changed; the names of those written. */
export async function writeFacts(): Promise<string[]> {
  const written: string[] = [];
  for (const { file, text } of await expectedFacts()) {
    const now = await readFile(file, 'utf8').catch(() => '');
    if (now !== text) {
      await writeFile(file, text);
      written.push(file);
    }
  }
  return written;
}
