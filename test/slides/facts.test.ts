import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from '@slidev/parser/fs';
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../graders/format/bytes.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { allLabs } from '../../graders/lab.js';
import { slideReference } from '../../graders/kit/slide-ref.js';
import { decks, SLIDES_DIR } from '../../scripts/slides/decks.js';
import { expectedFacts, labFacts, slideIndex, statedCeilings } from '../../scripts/slides/facts.js';

const README = path.join(REPO_ROOT, 'labs', 'README.md');

/** labs/README.md's table: the row of each lab, by its folder name. */
async function readmeRows(): Promise<Map<string, string[]>> {
  const rows = new Map<string, string[]>();
  for (const line of (await readFile(README, 'utf8')).split('\n')) {
    const lab = /\[`(lab\d+-[\w-]+)`\]/.exec(line)?.[1];
    if (lab && line.startsWith('|'))
      rows.set(
        lab,
        line
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
  }
  return rows;
}

describe('numbers the decks and labs/README.md take from the graders', () => {
  it('slides/data/labs.json and slide-index.json are what the graders and decks say now (npm run slides:facts)', async () => {
    for (const { file, text } of await expectedFacts()) {
      expect(await readFile(file, 'utf8').catch(() => ''), `${path.relative(REPO_ROOT, file)} is out of date: npm run slides:facts`).toBe(text);
    }
  });

  it("labs/README.md states each lab's size ceiling as its grader holds it", async () => {
    const facts = await labFacts();
    const rows = await readmeRows();
    for (const [lab, { ceiling }] of Object.entries(facts)) {
      const row = rows.get(lab);
      expect(row, `labs/README.md has no row for ${lab}`).toBeDefined();
      const stated = statedCeilings(row!.join(' '));
      if (ceiling === undefined) expect(stated).toEqual([]);
      else expect(stated, `${lab}: the grader's ceiling is ${formatBytes(ceiling)}`).toEqual([formatBytes(ceiling)]);
    }
  });

  it("labs/README.md's lab times are the lab slides' (labTime), which the day's run sheet counts", async () => {
    const slides = (await load(SLIDES_DIR, path.join(SLIDES_DIR, 'workshop.md'))).slides;
    const times = new Map(slides.filter((s) => s.frontmatter.labTime).map((s) => [Number(s.frontmatter.lab), Number(s.frontmatter.labTime)]));
    for (const [lab, row] of await readmeRows()) {
      const n = Number(/^lab(\d+)/.exec(lab)![1]);
      expect(Number(/^(\d+) min/.exec(row.at(-1)!)?.[1]), `${lab}: the time in labs/README.md`).toBe(times.get(n));
    }
  });

  it('no slide types a lab ceiling by hand: <LabCeiling lab="…" /> reads it', async () => {
    const typed: string[] = [];
    for (const file of (await readdir(path.join(SLIDES_DIR, 'chapters'))).filter((f) => f.endsWith('.md'))) {
      const text = await readFile(path.join(SLIDES_DIR, 'chapters', file), 'utf8');
      for (const m of text.matchAll(/\|\s*`size`\s*\|[^|\n]*?≤\s*[\d.]+\s*[kMG]B/g)) typed.push(`chapters/${file}: ${m[0]}`);
    }
    expect(typed).toEqual([]);
  });

  it("every ceiling a slide states (text, notes, a grader's output it quotes) is its lab's, as the grader holds it", async () => {
    const facts = await labFacts();
    const idOf = (n: string) => Object.keys(facts).find((id) => id.split('-')[0] === `lab${n}`);
    const wrong: string[] = [];
    const seen = new Set<string>();
    let stated = 0;
    for (const deck of decks()) {
      for (const slide of (await load(SLIDES_DIR, deck.file)).slides) {
        const where = `${path.relative(REPO_ROOT, slide.source.filepath)}, slide "${slide.title ?? slide.index + 1}"`;
        if (seen.has(`${slide.source.filepath}:${slide.source.start}`)) continue;
        seen.add(`${slide.source.filepath}:${slide.source.start}`);
        const text = slide.source.raw;
        // The lab a slide speaks of: its frontmatter (layout: lab, lab: 4), else the labs it names (lab1, lab1-go).
        const labs = new Set<string>();
        if (slide.frontmatter.lab !== undefined) labs.add(idOf(String(slide.frontmatter.lab)) ?? `lab${slide.frontmatter.lab}`);
        else for (const m of text.matchAll(/\blab ?(\d)\b|\blab(\d)-[\w-]+/g)) labs.add(idOf(m[1] ?? m[2]!) ?? `lab${m[1] ?? m[2]}`);
        for (const m of text.matchAll(/<LabCeiling\s+lab="([^"]*)"/g)) {
          stated++;
          if (!(m[1]! in facts)) wrong.push(`${where}: <LabCeiling lab="${m[1]}"> names no lab`);
          else if (labs.size && !labs.has(m[1]!)) wrong.push(`${where}: <LabCeiling lab="${m[1]}"> on a slide about ${[...labs].join(', ')}`);
        }
        for (const m of statedCeilings(text)) {
          stated++;
          const ceiling = labs.size === 1 ? facts[[...labs][0]!]?.ceiling : undefined;
          if (ceiling === undefined)
            wrong.push(`${where}: "${m}" — a ceiling on a slide that names no one lab with a size check (${[...labs].join(', ') || 'none'})`);
          else if (m !== formatBytes(ceiling)) wrong.push(`${where}: ${m}, the grader of ${[...labs][0]} holds ${formatBytes(ceiling)}`);
        }
      }
    }
    expect(stated, 'the decks state the lab ceilings somewhere').toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it("a grader's hint names the module slide, its title and its number in the workshop deck", async () => {
    const index = await slideIndex();
    const workshop = (await load(SLIDES_DIR, path.join(SLIDES_DIR, 'workshop.md'))).slides;
    for (const lab of await allLabs()) {
      for (const check of lab.checks) {
        const ref = index[check.slide];
        expect(ref, `${lab.id} ${check.id}: ${check.slide} is not a slide of the workshop`).toBeDefined();
        expect(workshop[ref!.workshop - 1]!.title?.replace(/`/g, ''), check.slide).toBe(ref!.title);
        expect(slideReference(check.slide)).toBe(`${check.slide} — "${ref!.title}", slide ${ref!.workshop} of the workshop`);
      }
    }
  });

  it("a hint quoted by hand (a demo's expected output, the README) names its slide as slideReference() does now", async () => {
    // Every `read: slides/….md#N — "title", slide N of the workshop` typed into the decks, their notes or the READMEs:
    // a slide added or moved renumbers the workshop, and the quote must follow.
    const files = [path.join(REPO_ROOT, 'README.md')];
    for (const root of ['slides', 'labs']) {
      for (const entry of await readdir(path.join(REPO_ROOT, root), { recursive: true, withFileTypes: true })) {
        const file = path.join(entry.parentPath, entry.name);
        if (entry.isFile() && /\.(md|vue|ts)$/.test(entry.name) && !file.includes(`${path.sep}node_modules${path.sep}`)) files.push(file);
      }
    }
    const quoted = /read: (slides\/[\w./-]+?\.md#\d+)((?: — "[^"\n]*")?(?:, slide \d+ of the workshop)?)/g;
    const stale: string[] = [];
    let found = 0;
    for (const file of files) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const m of line.matchAll(quoted)) {
          found++;
          const now = `read: ${slideReference(m[1]!)}`;
          if (m[0] !== now) stale.push(`${path.relative(REPO_ROOT, file)}:${i + 1}: ${m[0]}\n  now: ${now}`);
        }
      });
    }
    expect(found, 'hints quoted in slides/, labs/ and README.md').toBeGreaterThanOrEqual(4);
    expect(stale, 'quoted hints that no longer name their slide as the graders do').toEqual([]);
  });
});
