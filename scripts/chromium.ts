import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { CannotGrade } from '../graders/engine/errors.js';

/** The system's Chromium (Debian's package): browsers are never downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new CannotGrade(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
}

/** Headless (Playwright's default), sandbox off (CI runs as root), nothing that phones home: the one launcher of the decks, the explain pictures and the tests. */
export async function launchChromium(): Promise<Browser> {
  requireChromium();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}
