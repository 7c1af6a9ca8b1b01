/**
 * What a built deck hands out besides its site, both from Slidev's print view (every slide,
 * every click shown) in the system's Chromium:
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

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The deck in print view, every slide loaded, or an error naming the slides that are not. */
async function openPrintView(context: BrowserContext, deck: string, expected: number): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(CANVAS);
  await page.goto(deckUrl(deck, 'print'), { waitUntil: 'networkidle' });
  await page.waitForFunction((n) => document.querySelectorAll('.print-slide-container').length === n && !document.querySelector('.slidev-slide-loading'), expected, { timeout: 120_000 });
  await page.evaluate(() => document.fonts.ready);
  const broken = await page.$$eval('.print-slide-container', (slides, re) => slides.flatMap((s, i) => (new RegExp(re).test(s.textContent ?? '') ? [i + 1] : [])), BROKEN.source);
  if (broken.length) throw new Error(`${deck}: slides ${broken.join(', ')} did not load in the print view`);
  return page;
}

async function contactSheet(context: BrowserContext, title: string, shots: Buffer[]): Promise<Buffer> {
  const cells = shots.map((jpeg, i) => `<figure><img src="data:image/jpeg;base64,${jpeg.toString('base64')}"><figcaption>${i + 1}</figcaption></figure>`).join('');
  const page = await context.newPage();
  await page.setViewportSize({ width: COLUMNS * (THUMB.width + 16) + 16, height: 400 });
  try {
    await page.setContent(
      `<!doctype html><html><head><style>
        body { margin: 0; padding: 12px 8px; font: 16px/1.3 'Liberation Sans', Arial, sans-serif; background: #e9edf2; color: #0b2545; }
        h1 { font-size: 20px; margin: 0 8px 10px; }
        .grid { display: grid; grid-template-columns: repeat(${COLUMNS}, ${THUMB.width}px); gap: 12px 16px; padding: 0 8px; }
        figure { margin: 0; }
        img { display: block; width: ${THUMB.width}px; height: ${THUMB.height}px; border: 1px solid #9aa8b8; background: #fff; }
        figcaption { font-size: 14px; text-align: right; }
      </style></head><body><h1>${escape(title)} · ${shots.length} slides</h1><div class="grid">${cells}</div></body></html>`,
      { waitUntil: 'load' },
    );
    return await page.screenshot({ fullPage: true, type: 'png' });
  } finally {
    await page.close();
  }
}

/** Write `<out>.pdf` and `<out>.png` for a built deck of `expected` slides. */
export async function writeHandouts(context: BrowserContext, deck: { name: string; title: string }, expected: number, out: string): Promise<void> {
  const page = await openPrintView(context, deck.name, expected);
  try {
    const slides = page.locator('.print-slide-container');
    const shots: Buffer[] = [];
    for (let i = 0; i < expected; i++) shots.push(await slides.nth(i).screenshot({ type: 'jpeg', quality: 85 }));
    await writeFile(`${out}.png`, await contactSheet(context, `${deck.title} — ${deck.name}`, shots));
    // As `slidev export` prints: the screen's colours, one slide a page, nothing around it.
    await page.emulateMedia({ media: 'screen' });
    // The last slide's page break would add an empty page: print exactly one page per slide.
    await page.pdf({ path: `${out}.pdf`, width: `${CANVAS.width}px`, height: `${CANVAS.height}px`, pageRanges: `1-${expected}`, printBackground: true, margin: { top: '0', right: '0', bottom: '0', left: '0' } });
  } finally {
    await page.close();
  }
}
