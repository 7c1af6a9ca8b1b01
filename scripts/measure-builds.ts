/**
 * `npx tsx scripts/measure-builds.ts [lab…]` — what honest builds use: every lab's solution
 * and starter built without the build cache, with the build fence watching every RUN step
 * under limits far above any honest need, as figures: time, peak memory of one step, the
 * most unreclaimable memory and processes/threads at once, CPU time, bytes and files
 * written. The build-limit defaults (graders/fence/README.md) come from these figures. Cache mounts
 * (`RUN --mount=type=cache`) keep what earlier builds put in them: remove them first
 * (`docker builder prune --filter type=exec.cachemount`) for cold figures.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { GradeBuilds } from '../graders/buildkit/grade-builds.js';
import { buildFence, type BuildLimits } from '../graders/fence/index.js';
import { runMain } from '../graders/cli/run-main.js';
import { removeImage, requireEngine } from '../graders/engine/docker.js';
import { formatBytes, formatCount, formatMemory } from '../graders/format/bytes.js';
import { allLabs, labDir, solutionDir } from '../graders/lab.js';
import { labContextRequest, prepareContext } from '../graders/prepare/context.js';

/** Far above any honest build: the figures, not the limits, are the point here. */
const GENEROUS: BuildLimits = { memoryBytes: 8 * 2 ** 30, pids: 8192, cpus: Number(process.env.MEASURE_CPUS ?? 2), diskBytes: 20e9, files: 2_000_000 };

await runMain(async () => {
  await requireEngine();
  const wanted = process.argv.slice(2);
  const labs = (await allLabs()).filter((l) => wanted.length === 0 || wanted.some((w) => l.id.startsWith(w)));
  const available = await buildFence();
  if ('reason' in available) throw new Error(`the build fence is off here (${available.reason}): nothing to measure with`);
  console.log(`honest builds, no build cache, ${GENEROUS.cpus} CPU(s) per step\n`);
  console.log('lab / Dockerfile              time   mem/step   anon   pids   CPU s   written   files');
  for (const lab of labs) {
    for (const [kind, file, ignore] of [
      ['solution', path.join(solutionDir(lab), 'Dockerfile'), path.join(solutionDir(lab), '.dockerignore')],
      ['starter', path.join(labDir(lab), 'Dockerfile'), undefined],
    ] as const) {
      const context = await prepareContext(labContextRequest(lab, file, ignore));
      const tag = `stagecraft-grade/measure:${randomBytes(4).toString('hex')}`;
      // Built as a grade builds it (network, fence, cache ledger), with limits far above any honest build.
      const builds = new GradeBuilds({ network: lab.buildNetwork ? 'default' : 'none', buildTimeoutMs: 20 * 60_000, buildLimits: GENEROUS, noCache: true });
      let closed = false;
      try {
        await builds.open();
        const r = await builds.build(context.dir, tag);
        await builds.close(); // the fence's last reading of the steps is in
        closed = true;
        const p = builds.peaks;
        if (!p) throw new Error('the build fence did not read this build');
        const cells = [
          `${(r.durationMs / 1000).toFixed(1)} s`.padStart(7),
          formatMemory(p.memoryBytes).padStart(10),
          formatMemory(p.anonBytes).padStart(8),
          String(p.pids).padStart(6),
          p.cpuSeconds.toFixed(1).padStart(7),
          formatBytes(p.diskBytes).padStart(9),
          formatCount(p.files).padStart(7),
        ];
        console.log(`${`${lab.id} ${kind}`.padEnd(26)}${cells.join(' ')}${r.ok ? '' : `   (failed: ${r.error})`}`);
      } finally {
        if (!closed) await builds.close();
        await removeImage(tag);
        await context.remove();
      }
    }
  }
});
