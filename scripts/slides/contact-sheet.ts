/**
 * A deck at a glance: every slide of a built deck as a thumbnail on one PNG, so a presenter
 * or a reviewer sees the whole deck (and any slide that went wrong) without clicking through.
 * The slides come from Slidev's print view of the built site (every click shown), rendered
 * by the system's Chromium; the sheet is laid out and screenshotted by the same browser.
 */
import { writeFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';

export const SLIDE = { width: 1280, height: 720 };
const THUMB = { width: 320, height: 180 };
const COLUMNS = 4;

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Screenshot every slide of the deck at `deckUrl` (its index.html) in print view, in order. */
async function slideShots(browser: Browser, deckUrl: string, expected: number): Promise<Buffer[]> {
  const page = await browser.newPage({ viewport: SLIDE });
  try {
    await page.goto(`${deckUrl}?print=true#/print`, { waitUntil: 'networkidle' });
    const slides = page.locator('.print-slide-container');
    await page.waitForFunction((n) => document.querySelectorAll('.print-slide-container').length >= n, expected, { timeout: 60_000 });
    await page.locator('.slidev-slide-loading').first().waitFor({ state: 'detached', timeout: 60_000 }).catch(() => undefined);
    await page.evaluate(() => document.fonts.ready);
    const shots: Buffer[] = [];
    for (let i = 0, n = await slides.count(); i < n; i++) shots.push(await slides.nth(i).screenshot({ type: 'jpeg', quality: 80 }));
    return shots;
  } finally {
    await page.close();
  }
}

/** Write the contact sheet of one built deck to `out` (PNG); returns how many slides it shows. */
export async function writeContactSheet(browser: Browser, deck: { name: string; title: string }, deckUrl: string, expected: number, out: string): Promise<number> {
  const shots = await slideShots(browser, deckUrl, expected);
  const cells = shots
    .map((jpeg, i) => `<figure><img src="data:image/jpeg;base64,${jpeg.toString('base64')}"><figcaption>${i + 1}</figcaption></figure>`)
    .join('');
  const page = await browser.newPage({ viewport: { width: COLUMNS * (THUMB.width + 16) + 16, height: 400 } });
  try {
    await page.setContent(
      `<!doctype html><html><head><style>
        body { margin: 0; padding: 12px 8px; font: 16px/1.3 'Liberation Sans', Arial, sans-serif; background: #e9edf2; color: #0b2545; }
        h1 { font-size: 20px; margin: 0 8px 10px; }
        .grid { display: grid; grid-template-columns: repeat(${COLUMNS}, ${THUMB.width}px); gap: 12px 16px; padding: 0 8px; }
        figure { margin: 0; }
        img { display: block; width: ${THUMB.width}px; height: ${THUMB.height}px; border: 1px solid #9aa8b8; background: #fff; }
        figcaption { font-size: 14px; text-align: right; }
      </style></head><body><h1>${escape(deck.title)} — ${deck.name} · ${shots.length} slides</h1><div class="grid">${cells}</div></body></html>`,
      { waitUntil: 'load' },
    );
    await writeFile(out, await page.screenshot({ fullPage: true, type: 'png' }));
  } finally {
    await page.close();
  }
  return shots.length;
}
