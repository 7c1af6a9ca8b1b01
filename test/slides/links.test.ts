import path from 'node:path';
import { load } from '@slidev/parser/fs';
import { describe, expect, it } from 'vitest';
import { allLabs, REPO_ROOT } from '../../graders/lab.js';

/** Every `slide` a check's hint points to: `slides/02-multi-stage.md#3`. */
async function slideLinks() {
  const links: { lab: string; check: string; deck: string; slide: number }[] = [];
  for (const lab of await allLabs()) {
    for (const check of lab.checks) {
      const m = /^(slides\/[^#]+\.md)#(\d+)$/.exec(check.slide);
      expect(m, `${lab.id} ${check.id}: "${check.slide}" is not of the form slides/<deck>.md#<n>`).not.toBeNull();
      links.push({ lab: lab.id, check: check.id, deck: m![1]!, slide: Number(m![2]) });
    }
  }
  return links;
}

describe('grader hint → slide links', () => {
  it('every link names a deck, a slide that exists, and a slide that teaches that check', async () => {
    const links = await slideLinks();
    expect(links.length).toBeGreaterThan(10);
    const decks = new Map<string, Awaited<ReturnType<typeof load>>>();
    for (const link of links) {
      if (!decks.has(link.deck)) decks.set(link.deck, await load(path.join(REPO_ROOT, 'slides'), path.join(REPO_ROOT, link.deck)));
      const slides = decks.get(link.deck)!.slides;
      const slide = slides[link.slide - 1];
      expect(slide, `${link.lab} ${link.check} → ${link.deck}#${link.slide}: the deck has ${slides.length} slides`).toBeDefined();
      const teaches = (slide!.frontmatter.teaches ?? []) as string[];
      expect(teaches, `${link.lab} ${link.check} → ${link.deck}#${link.slide} ("${slide!.title}") does not say it teaches ${link.check}`).toContain(link.check);
    }
  });

  it('every content slide has speaker notes', async () => {
    for (const deck of ['01-why-images-bloat', '02-multi-stage', '03-go', '04-node-python', '05-java-fan-in', '06-base-images', '07-shipping-safely', '08-fast-builds']) {
      const data = await load(path.join(REPO_ROOT, 'slides'), path.join(REPO_ROOT, 'slides', `${deck}.md`));
      const silent = data.slides.filter((s) => !s.note?.trim()).map((s) => `${deck}#${s.index + 1} ${s.title}`);
      expect(silent).toEqual([]);
    }
  });
});
