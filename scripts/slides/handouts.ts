/**
 * What a built deck hands out besides its site, both from one load of Slidev's print view
 * (every slide, every click shown) in the system's Chromium:
 * - dist/slides/<deck>.pdf: one page per slide, the size of the slide;
 * - dist/slides/<deck>.png: the contact sheet, every slide as a thumbnail, so a presenter or
 *   a reviewer sees the whole deck (and any slide that went wrong) at a glance.
 */
import { writeFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { deckUrl } from './site.js';

/** Slidev's canvas: 980 px wide, 16:9. The PDF's pages are this size. */
const CANVAS = { width: 980, height: 551 };
const THUMB = { width: 320, height: 180 };
const COLUMNS = 4;
/** What Slidev draws in place of a slide whose code could not be loaded. */
const BROKEN = /Failed to fetch this slide|An error occurred on this slide/;

/** The deck in print view, every slide loaded, or an error naming the slides that are not. */
export async function openPrintView(context: BrowserContext, deck: string, expected: number): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(CANVAS);
  await page.goto(deckUrl(deck, 'print'), { waitUntil: 'networkidle' });
  // A slide's code loads on its own. Until it has, its page is empty: Vue shows the
  // "Loading slide..." placeholder only after a delay. So wait for every page to hold what
  // it draws, not merely for no placeholder (printed under load, that gave blank pages).
  await page.waitForFunction(
    (n) => {
      const pages = [...document.querySelectorAll('.print-slide-container .slidev-page')];
      return pages.length === n && pages.every((p) => p.firstElementChild && !p.querySelector('.slidev-slide-loading'));
    },
    expected,
    { timeout: 120_000 },
  );
  await page.evaluate(() => document.fonts.ready);
  const broken = await page.$$eval(
    '.print-slide-container',
    (slides, re) => slides.flatMap((s, i) => (new RegExp(re).test(s.textContent ?? '') ? [i + 1] : [])),
    BROKEN.source,
  );
  if (broken.length) throw new Error(`${deck}: slides ${broken.join(', ')} did not load in the print view`);
  return page;
}

/**
 * Turn the print view into the contact sheet: each slide scaled to a thumbnail (CSS zoom,
 * after Slidev laid it out) in a grid, numbered, under the deck's title; one screenshot.
 */
async function contactSheet(page: Page, title: string): Promise<Buffer> {
  await page.setViewportSize({ width: COLUMNS * (THUMB.width + 16) + 16, height: 400 });
  await page.evaluate(
    ({ title, columns, thumb, zoom }) => {
      const content = document.querySelector('#print-content') as HTMLElement;
      const heading = document.createElement('h1');
      heading.textContent = title;
      content.before(heading);
      for (const [i, slide] of [...content.querySelectorAll<HTMLElement>('.print-slide-container')].entries()) {
        const figure = document.createElement('figure');
        const caption = document.createElement('figcaption');
        caption.textContent = String(i + 1);
        slide.replaceWith(figure);
        figure.append(slide, caption);
      }
      const style = document.createElement('style');
      style.textContent = `
        :root { --slidev-slide-container-background: #e9edf2; }
        html.print, html.print body, #page-root { background: #e9edf2 !important; }
        h1 { font: 700 20px/1.3 'Liberation Sans', Arial, sans-serif; color: #0b2545; margin: 12px 16px 10px; }
        #print-content { display: grid; grid-template-columns: repeat(${columns}, ${thumb.width}px); gap: 12px 16px; padding: 0 16px 16px; }
        figure { margin: 0; }
        figure .print-slide-container { zoom: ${zoom}; outline: 3px solid #9aa8b8; }
        figcaption { font: 14px/1.3 'Liberation Sans', Arial, sans-serif; color: #0b2545; text-align: right; }`;
      document.head.append(style);
    },
    { title, columns: COLUMNS, thumb: THUMB, zoom: THUMB.width / CANVAS.width },
  );
  return page.screenshot({ fullPage: true, type: 'png' });
}

/** Write `<out>.pdf` and `<out>.png` for a built deck of `expected` slides. */
export async function writeHandouts(context: BrowserContext, deck: { name: string; title: string }, expected: number, out: string): Promise<void> {
  const page = await openPrintView(context, deck.name, expected);
  try {
    // As `slidev export` prints: the screen's colours, one slide a page, nothing around it.
    // The last slide's page break would add an empty page: print exactly one page per slide.
    await page.emulateMedia({ media: 'screen' });
    await page.pdf({
      path: `${out}.pdf`,
      width: `${CANVAS.width}px`,
      height: `${CANVAS.height}px`,
      pageRanges: `1-${expected}`,
      printBackground: true,
      margin: { top: '0', right: '0', bottom: '0', left: '0' },
    });
    await writeFile(`${out}.png`, await contactSheet(page, `${deck.title} — ${deck.name} · ${expected} slides`));
  } finally {
    await page.close();
  }
}
