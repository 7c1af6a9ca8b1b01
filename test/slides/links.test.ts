import path from 'node:path';
import { load } from '@slidev/parser/fs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { allLabs } from '../../graders/lab.js';
import { decks } from '../../scripts/slides/decks.js';

type Slides = Awaited<ReturnType<typeof load>>['slides'];
const SLIDES = path.join(REPO_ROOT, 'slides');
const loaded = new Map<string, Slides>();
async function slidesOf(deck: string): Promise<Slides> {
  if (!loaded.has(deck)) loaded.set(deck, (await load(SLIDES, path.join(SLIDES, `${deck}.md`))).slides);
  return loaded.get(deck)!;
}

/** Every `slide` a check's hint points to: `slides/02-multi-stage.md#3`. */
async function slideLinks() {
  const links: { lab: string; check: string; deck: string; slide: number }[] = [];
  for (const lab of await allLabs()) {
    for (const check of lab.checks) {
      const m = /^slides\/([^#/]+)\.md#(\d+)$/.exec(check.slide);
      expect(m, `${lab.id} ${check.id}: "${check.slide}" is not of the form slides/<deck>.md#<n>`).not.toBeNull();
      links.push({ lab: lab.id, check: check.id, deck: m![1]!, slide: Number(m![2]) });
    }
  }
  return links;
}

/** `[2.5 min] …` at the start of a slide's notes: how long the presenter spends on it. */
const minutes = (note: string | undefined) => Number(/^\s*\[(\d+(?:\.\d+)?) min\]/.exec(note ?? '')?.[1] ?? NaN);
const modules = () => decks().filter((d) => /^\d\d-/.test(d.name));

describe('grader hint → slide links', () => {
  it('every link names a deck, a slide that exists, and a slide that teaches that check', async () => {
    const links = await slideLinks();
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) {
      const slides = await slidesOf(link.deck);
      const slide = slides[link.slide - 1];
      const teachers = slides.filter((s) => ((s.frontmatter.teaches ?? []) as string[]).includes(link.check)).map((s) => `#${s.index + 1}`);
      const where = `${link.lab} ${link.check} → slides/${link.deck}.md#${link.slide}`;
      expect(slide, `${where}: the deck has ${slides.length} slides`).toBeDefined();
      const teaches = (slide!.frontmatter.teaches ?? []) as string[];
      expect(teaches, `${where} ("${slide!.title}") does not say it teaches ${link.check}; slides that do: ${teachers.join(', ') || 'none'}`).toContain(
        link.check,
      );
    }
  });
});

describe('the decks as talks', () => {
  it('every slide of every deck has speaker notes that start with its minutes: "[2 min] …"', async () => {
    for (const deck of decks()) {
      const silent = (await slidesOf(deck.name)).filter((s) => !(minutes(s.note) > 0)).map((s) => `${deck.name}#${s.index + 1} ${s.title}`);
      expect(silent, 'slides without notes, or notes without "[N min]" first').toEqual([]);
    }
  });

  it('each module is a 20-minute talk: objectives first, a scripted live demo, a recap at the end', async () => {
    for (const deck of modules()) {
      const slides = await slidesOf(deck.name);
      const total = slides.reduce((sum, s) => sum + minutes(s.note), 0);
      expect(total, `${deck.name}: minutes in its notes`).toBeGreaterThanOrEqual(17);
      expect(total, `${deck.name}: minutes in its notes`).toBeLessThanOrEqual(23);
      expect(slides[0]!.frontmatter.layout, `${deck.name}: the first slide`).toBe('module');
      expect(slides[1]!.title, `${deck.name}: the second slide`).toMatch(/^In this module you will learn to/);
      const recap = slides.findIndex((s) => /^Recap:/.test(s.title ?? ''));
      expect(recap, `${deck.name}: a "Recap: …" slide`).toBeGreaterThan(1);
      // The recap closes the module's own talk; only the workshop's wrap-up may follow it.
      for (const after of slides.slice(recap + 1)) expect(after.source.filepath, `${deck.name}: after its recap`).toMatch(/wrap-up\.md$/);
      const demo = slides.find((s) => /^Live demo/.test(s.title ?? ''));
      expect(demo, `${deck.name}: a "Live demo: …" slide`).toBeDefined();
      // The script: commands to type ($ …) and the output to expect, taken from a real run.
      expect(demo!.note, `${deck.name}: the demo's notes`).toMatch(/^\s*\$ \S/m);
      expect(demo!.note, `${deck.name}: the demo's notes`).toMatch(/Expect/);
    }
  });

  it('the workshop runs every module in order, then the five common mistakes, the questions, and a close', async () => {
    const slides = await slidesOf('workshop');
    const covers = slides.filter((s) => s.frontmatter.layout === 'module').map((s) => Number(s.frontmatter.module));
    expect(covers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const titles = slides.map((s) => s.title ?? '');
    expect(titles).toContain('Five common mistakes');
    expect(titles).toContain('Questions people ask');
    expect(titles.at(-1)).toMatch(/^On Monday/);
  });

  it('no slide shrinks its content below 0.9 (zoom)', async () => {
    for (const deck of decks()) {
      const zoomed = (await slidesOf(deck.name))
        .filter((s) => Number(s.frontmatter.zoom ?? 1) < 0.9)
        .map((s) => `${deck.name}#${s.index + 1} zoom ${s.frontmatter.zoom}`);
      expect(zoomed).toEqual([]);
    }
  });
});
