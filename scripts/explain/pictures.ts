import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { writePage } from '../../graders/cli/page-file.js';
import { explainFacts } from '../../graders/explain/explain-image.js';
import type { ImageFacts } from '../../graders/inspect/image.js';
import { REPO_ROOT } from '../../graders/lab.js';
import type { ParsedDockerfile } from '../../graders/lint/dockerfile.js';
import { launchChromium, screenshotPage } from './chromium.js';

/** The explain pages `npm run measure` writes (not committed: rebuilt by every measure). */
export const PAGES_DIR = path.join(REPO_ROOT, 'dist', 'explain');
/** The treemap pictures the decks show (committed with the measurements). */
export const PICTURES_DIR = path.join(REPO_ROOT, 'slides', 'public', 'treemaps');

/**
 * For `npm run measure`: each lab's starter and solution as an explain page
 * (dist/explain/<lab>-<variant>.html) and its treemap as a 1280×720 picture for the
 * decks (slides/public/treemaps/<lab>-<variant>.png), from the facts measure already has.
 */
export function treemapPictures() {
  let browser: Browser | undefined;
  return {
    async add(lab: string, variant: 'starter' | 'solution', facts: ImageFacts, df: ParsedDockerfile, dockerfile: string): Promise<string> {
      await mkdir(PAGES_DIR, { recursive: true });
      await mkdir(PICTURES_DIR, { recursive: true });
      const page = path.join(PAGES_DIR, `${lab}-${variant}.html`);
      const picture = path.join(PICTURES_DIR, `${lab}-${variant}.png`);
      await writePage(page, explainFacts(facts, { ref: path.relative(REPO_ROOT, dockerfile), df }));
      browser ??= await launchChromium();
      await screenshotPage(browser, page, picture, { picture: true });
      return path.relative(REPO_ROOT, picture);
    },
    async close(): Promise<void> {
      await browser?.close();
    },
  };
}
