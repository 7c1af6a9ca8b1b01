import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writePage } from '../../graders/cli/page-file.js';
import { explainFacts } from '../../graders/explain/explain-image.js';
import type { ImageFacts } from '../../graders/inspect/image.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import type { ParsedDockerfile } from '../../graders/lint/dockerfile.js';

/** The explain pages `npm run measure` writes (not committed: rebuilt by every measure). */
export const PAGES_DIR = path.join(REPO_ROOT, 'dist', 'explain');

/**
 * For `npm run measure`: each lab's starter and solution as an explain page
 * (dist/explain/<lab>-<variant>.html, with its zoomable treemap), from the facts measure
 * already has. The decks draw their treemaps themselves, from slides/data/measurements.json
 * (slides/components/SizeTreemap.vue): a page's screenshot shrunk onto a slide was unreadable.
 */
export function treemapPictures() {
  return {
    async add(lab: string, variant: 'starter' | 'solution', facts: ImageFacts, df: ParsedDockerfile, dockerfile: string): Promise<string> {
      await mkdir(PAGES_DIR, { recursive: true });
      const page = path.join(PAGES_DIR, `${lab}-${variant}.html`);
      await writePage(page, explainFacts(facts, { ref: path.relative(REPO_ROOT, dockerfile), df }));
      return path.relative(REPO_ROOT, page);
    },
    async close(): Promise<void> {},
  };
}
