import path from 'node:path';
import { builds, cacheFriendly, multiStage, noCaches, noToolchain, runs, size } from '../checks/index.js';
import { npmDevDependencies, TYPESCRIPT_SOURCES } from '../findings/index.js';
import { MB } from '../format/bytes.js';
import { REPO_ROOT } from '../kit/locations.js';
import { defineLab } from '../lab.js';
import { jsonProbe, randomInt, status } from '../run/probes.js';

const LOCKFILE = path.join(REPO_ROOT, 'labs', 'lab2-node', 'package-lock.json');
const ASCII = 'abcdefghijklmnopqrstuvwxyz0123456789';
const word = () => Array.from({ length: randomInt(1, 9) }, () => ASCII[randomInt(ASCII.length)]).join('');

/** What the app's /stats must answer, computed independently. */
function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const mean = Math.round((sorted.reduce((s, v) => s + v, 0) / n) * 1000) / 1000;
  return { count: n, min: sorted[0], max: sorted[n - 1], mean, median };
}

export default defineLab({
  id: 'lab2-node',
  title: 'TypeScript without TypeScript',
  app: {
    stampCode: { file: 'src/app.ts', language: 'typescript' },
    stampIn: 'javascript',
    edit: 'src/app.ts', // what a rebuild edits: the cache-friendly check
    probes: [
      jsonProbe(() => {
        const words = Array.from({ length: randomInt(1, 6) }, word);
        const title = words.map((w) => (randomInt(2) ? w.toUpperCase() : w)).join(randomInt(2) ? ' ' : '  ');
        return { path: `/slug?title=${encodeURIComponent(title)}`, expect: { slug: words.join('-') } };
      }),
      jsonProbe(() => {
        const values = Array.from({ length: randomInt(1, 20) }, () => randomInt(-500, 500));
        return { path: `/stats?values=${values.join(',')}`, expect: stats(values) };
      }),
      status('/stats?values=one,two', 400),
    ],
  },
  buildNetwork: true, // npm ci, in the starter and the solution
  checks: [
    builds(),
    multiStage(),
    // The solution on node:20-trixie-slim is about 205 MB; a single slim stage that keeps
    // the dev dependencies (TypeScript, vitest and their tree) is over 260 MB.
    size({ ceiling: 240 * MB }),
    noToolchain({ forbidden: [npmDevDependencies(LOCKFILE), TYPESCRIPT_SOURCES] }),
    runs({ slide: 'slides/04-node-python.md#5' }),
    cacheFriendly({ installs: ['node'] }),
    noCaches(),
  ],
});
