/**
 * The built decks, opened in Chromium without a web server: requests to DECKS_ORIGIN are
 * answered from dist/slides/ by Playwright itself. No socket, so nothing to lose when the
 * machine's network changes under Chromium (Docker adding a container's interface makes
 * Chromium abort every request in flight: net::ERR_NETWORK_CHANGED).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { SLIDES_OUT } from './decks.js';

export const DECKS_ORIGIN = 'http://decks.stagecraft.invalid';

/** A deck's page in play mode, or in Slidev's print view (every slide, every click shown). */
export const deckUrl = (deck: string, view: 'play' | 'print' = 'play', slide = 1) =>
  view === 'print' ? `${DECKS_ORIGIN}/${deck}/index.html?print=true#/print` : `${DECKS_ORIGIN}/${deck}/index.html#/${slide}`;

export async function routeBuiltDecks(context: BrowserContext, root = SLIDES_OUT): Promise<void> {
  await context.route(`${DECKS_ORIGIN}/**`, async (route) => {
    let file = path.join(root, decodeURIComponent(new URL(route.request().url()).pathname));
    if (!file.startsWith(root + path.sep)) return route.fulfill({ status: 403, body: 'outside dist/slides' });
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    await route.fulfill({ path: file });
  });
}
