import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './locations.js';

let index: Record<string, { title: string; workshop: number }> | undefined;

/**
 * A hint's slide as the room knows it: `slides/03-go.md#3 — "Static binaries and
 * CGO_ENABLED=0", slide 29 of the workshop`. The titles and workshop numbers come from
 * slides/data/slide-index.json (written by `npm run slides:facts`); a link it lacks is shown as it is.
 */
export function slideReference(link: string): string {
  index ??= (() => {
    try {
      return JSON.parse(readFileSync(path.join(REPO_ROOT, 'slides', 'data', 'slide-index.json'), 'utf8'));
    } catch {
      return {};
    }
  })();
  const ref = index?.[link];
  return ref ? `${link} — "${ref.title}", slide ${ref.workshop} of the workshop` : link;
}
