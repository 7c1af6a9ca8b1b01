import { mkdir, readFile, writeFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { findLab, solutionDir } from '../graders/lab.js';
import { grade } from '../graders/pipeline/grade.js';
import { runMain } from '../graders/cli/run-main.js';
import { cacheNamespace } from '../graders/prepare/cache-mounts.js';
const MARK = Date.now().toString(36);
await runMain(async () => {
  const lab = await findLab(process.argv[2] ?? 'lab1');
  const rounds = Number(process.argv[3] ?? 4);
  const solution = await readFile(path.join(solutionDir(lab), 'Dockerfile'), 'utf8');
  const t0 = Date.now();
  const rel = (t = Date.now()) => ((t - t0) / 1000).toFixed(2).padStart(6);
  const one = async (i: number) => {
    const dir = `/tmp/lead-tmp/pair/${i}`;
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'Dockerfile'),
      solution.replace(/^FROM .*$/gm, (f) => `${f}\nENV E=${MARK}-${i}`),
    );
    const seen = new Map<string, number>();
    const lines: string[] = [];
    const r = await grade(lab, {
      dockerfile: { kind: 'path', path: path.join(dir, 'Dockerfile') },
      cacheNamespace: cacheNamespace('student', `s${i}`),
      progress: {
        stage(t) {
          lines.push(`${rel()} [${i}] stage ${t}`);
        },
        log() {},
        done() {},
        step(s) {
          if (!seen.has(s.digest)) seen.set(s.digest, Date.now());
          if (s.done) lines.push(`${rel(seen.get(s.digest))}-${rel()} [${i}] ${s.cached ? 'C' : ' '} ${s.name.slice(0, 90)}`);
        },
      },
    });
    lines.push(`${rel()} [${i}] verdict ${r.durationMs} ${JSON.stringify(r.timings)}`);
    return lines;
  };
  for (let k = 0; k < rounds; k++) {
    const [a, b] = await Promise.all([one(2 * k), one(2 * k + 1)]);
    console.log([...a, ...b].sort().join('\n'));
  }
});
