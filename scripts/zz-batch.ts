import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findLab, solutionDir } from '../graders/lab.js';
import { runBatch } from '../graders/batch/run-batch.js';
import { runMain } from '../graders/cli/run-main.js';
const MARK = Date.now().toString(36);
await runMain(async () => {
  const lab = await findLab(process.argv[2] ?? 'lab1');
  const n = Number(process.argv[3] ?? 10);
  const conc = Number(process.argv[4] ?? 1);
  const solution = await readFile(path.join(solutionDir(lab), 'Dockerfile'), 'utf8');
  const work = await mkdtemp(path.join(tmpdir(), 'zz-batch-'));
  for (let i = 1; i <= n; i++) {
    const dir = path.join(work, 'class', `s${i}`, 'labs', lab.id);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'Dockerfile'),
      solution.replace(/^FROM .*$/gm, (f) => `${f}\nENV E=${MARK}-${i}`),
    );
    await cp(path.join(solutionDir(lab), '.dockerignore'), path.join(dir, '.dockerignore'));
  }
  const t0 = Date.now();
  const rel = () => ((Date.now() - t0) / 1000).toFixed(2).padStart(7);
  await runBatch({
    submissionsDir: path.join(work, 'class'),
    labs: [lab],
    outDir: path.join(work, 'out'),
    concurrency: conc,
    resume: false,
    minFreeBytes: 0,
    progress: {
      start() {},
      log(l: string) {
        console.log(rel(), 'log', l);
      },
      end() {
        console.log(rel(), 'end');
      },
      begin(j: { student: string }) {
        console.log(rel(), 'begin', j.student);
      },
      finish(r: { student: string; result?: { durationMs: number; passed: boolean; timings: object } }, ms: number) {
        console.log(rel(), 'finish', r.student, 'job', ms, 'grade', r.result?.durationMs, r.result?.passed, JSON.stringify(r.result?.timings));
      },
    } as never,
  });
  console.log(rel(), 'done');
  await rm(work, { recursive: true, force: true });
});
