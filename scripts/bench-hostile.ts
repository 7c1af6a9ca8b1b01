/**
 * `npm run bench:hostile` — the hostile corpus as figures: how many cases were contained
 * (ended as a failed check within their limit), the longest time to contain one, and what
 * was left behind (containers, grade images, temporary folders: must be zero).
 */
import { requireEngine } from '../graders/engine/docker.js';
import { findLab } from '../graders/lab.js';
import { grade } from '../graders/pipeline/grade.js';
import { runMain } from '../graders/cli/run-main.js';
import { HOSTILE_CASES, HOSTILE_LIMITS } from '../test/fixtures/hostile/cases.js';
import { leftovers } from '../test/helpers/engine.js';

await runMain(async () => {
  await requireEngine();
  const lab = await findLab('lab1');
  const before = await leftovers();
  let contained = 0;
  let longest = { seconds: 0, name: '' };
  for (const c of HOSTILE_CASES) {
    const started = Date.now();
    let ok = false;
    try {
      const r = await grade(lab, { ...HOSTILE_LIMITS, dockerfile: { kind: 'path', path: await c.dockerfile() } });
      const check = r.checks.find((k) => k.id === c.fails);
      ok = Boolean(check && !check.passed && !check.skipped && c.message.test(check.message));
    } catch (err) {
      console.log(`  ! ${c.name}: the grader threw: ${(err as Error).message}`);
    }
    const seconds = (Date.now() - started) / 1000;
    ok &&= seconds < c.withinSeconds;
    if (ok) contained++;
    if (seconds > longest.seconds) longest = { seconds, name: c.name };
    console.log(`  ${ok ? '✓' : '✗'} ${c.name.padEnd(52)} ${seconds.toFixed(1).padStart(6)} s (limit ${c.withinSeconds} s)`);
  }
  const after = await leftovers();
  const left = (['containers', 'images', 'tempDirs'] as const).reduce((n, k) => n + after[k].filter((x) => !before[k].includes(x)).length, 0);
  console.log(`\nhostile cases contained: ${contained} / ${HOSTILE_CASES.length}`);
  console.log(`longest time to contain one: ${longest.seconds.toFixed(1)} s (${longest.name})`);
  console.log(`leftovers found: ${left}`);
  process.exitCode = contained === HOSTILE_CASES.length && left === 0 ? 0 : 1;
});
