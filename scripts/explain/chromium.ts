import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (never a download); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium with nothing that phones home. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Screenshot a page file at a viewport size; `picture` shows the treemap alone (#picture). */
export async function screenshotPage(browser: Browser, file: string, png: string, opts: { width?: number; height?: number; picture?: boolean } = {}): Promise<void> {
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 720 } });
  try {
    await page.goto(`file://${file}${opts.picture ? '#picture' : ''}`);
    await page.waitForSelector('body.ready');
    await page.screenshot({ path: png });
  } finally {
    await page.close();
  }
}
