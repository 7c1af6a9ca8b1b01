/**
 * `npm run bench` — figures, not verdicts:
 *  1. the command's start: `stagecraft --help`, the whole process, median of 10;
 *  2. what a student waits for: the whole `npm run grade lab1 -- --solution` process vs the
 *     same work by hand (a one-line source change, `docker build` with BuildKit,
 *     `docker run`, one HTTP request), warm, alternated, medians, as a ratio; then the
 *     same comparison for `grade()` inside this process (no process start), labelled so;
 *  3. `grade --watch`: from saving the Dockerfile to the verdict on screen, against the same
 *     work by hand, alternated, medians; then grading the 1 GB lab 1 starter, and how long
 *     its streamed layer scan takes;
 *  4. a batch: the integration test's class of six (labs 1 and 4) at concurrency 1 and 2,
 *     the time per graded lab, and the batch's overhead over the sum of its single grades;
 *  5. a class of distinct submissions (30 of lab 1, 10 of lab 2: the reference solution,
 *     each with its own harmless edit, so no build is cached but every cache mount is new),
 *     at concurrency 1 and 2, each grade against a warm single grade of the same Dockerfile;
 *  6. explain: scripts/bench/explain.ts;
 *  7. room: 200 students posting to `stagecraft room` on loopback, scripts/bench/room.ts.
 * `npm run bench -- start grade` runs only those sections (start, grade, watch, starter, batch, class, explain, room).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { requireEngine } from '../graders/engine/docker.js';
import { formatBytes } from '../graders/format/bytes.js';
import { findLab, labDir, solutionDir } from '../graders/lab.js';
import { grade } from '../graders/pipeline/grade.js';
import { get } from '../graders/run/http.js';
import { runMain } from '../graders/cli/run-main.js';
import { runBatch } from '../graders/batch/run-batch.js';
import { loadRecords } from '../graders/batch/records.js';
import { silentBatchProgress } from '../graders/batch/progress.js';
import { CLASS_OF_SIX } from '../test/helpers/class-of-six.js';
import { makeClass } from '../test/helpers/classroom.js';
import { until } from '../test/helpers/until.js';
import { benchExplain } from './bench/explain.js';
import { benchRoom } from './bench/room.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Marks this run's edits: an earlier run's builds of the same edit are in the build cache, and would be no build at all. */
const RUN_MARK = Date.now().toString(36);
const SECTIONS = ['start', 'grade', 'watch', 'starter', 'batch', 'class', 'explain', 'room'] as const;
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const wanted = (section: (typeof SECTIONS)[number]) => asked.length === 0 || asked.includes(section);
const ROOT = path.resolve(import.meta.dirname, '..');

/** The wall time of a whole command, as a person at the shell waits for it. */
function timeCommand(bin: string, args: string[]): number {
  const started = performance.now();
  const r = spawnSync(bin, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  return elapsed;
}

/**
 * A whole command as a student waits for it: until its verdict's last line is on screen (a
 * line matching `verdict`), and until the shell has its prompt back (the process exited,
 * its clean-up done).
 */
function timeVerdict(bin: string, args: string[], verdict: RegExp): Promise<{ verdictMs: number; exitMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    let verdictMs: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (verdictMs === undefined && verdict.test(out)) verdictMs = performance.now() - started;
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const exitMs = performance.now() - started;
      if (code !== 0 || verdictMs === undefined) reject(new Error(`${bin} ${args.join(' ')} exited ${code}: ${err.trim().split('\n').pop()}`));
      else resolve({ verdictMs, exitMs });
    });
  });
}

/** A docker CLI that can build with BuildKit: one with buildx, or Debian's with DOCKER_BUILDKIT=1. */
function dockerCli(): { bin: string; env: NodeJS.ProcessEnv } {
  if (spawnSync('docker', ['buildx', 'version'], { stdio: 'ignore' }).status === 0) return { bin: 'docker', env: process.env };
  return { bin: '/usr/bin/docker', env: { ...process.env, DOCKER_BUILDKIT: '1' } };
}

function sh(bin: string, args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(bin, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr.trim().split('\n').pop()}`);
  return r.stdout.trim();
}

/**
 * The same work a grade does, the way a person would do it at the shell: a one-line source
 * change, or (`dockerfile`) the same Dockerfile edit a --watch save made, then build, run, one request.
 */
async function byHand(lab: Awaited<ReturnType<typeof findLab>>, round: number, dockerfile?: string): Promise<number> {
  const { bin, env } = dockerCli();
  const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-bench-'));
  const tag = `stagecraft-bench/by-hand:${round}`;
  try {
    await cp(labDir(lab), dir, { recursive: true });
    await cp(path.join(solutionDir(lab), 'Dockerfile'), path.join(dir, 'Dockerfile'));
    const started = performance.now();
    if (dockerfile)
      await writeFile(path.join(dir, 'Dockerfile'), dockerfile); // the save --watch graded
    else await appendFile(path.join(dir, 'main.go'), `\n// edit ${round} ${Date.now()}\n`); // the one-line source change
    sh(bin, ['build', '-q', '-t', tag, dir], env);
    // Where the engine publishes ports: here, or (an engine in a network of its own, as
    // `npm run engine` starts Docker 28) the address testcontainers is told to use.
    const host = process.env.TESTCONTAINERS_HOST_OVERRIDE ?? '127.0.0.1';
    const id = sh(bin, ['run', '-d', '-p', `${host}::8080`, tag], env);
    const port = sh(bin, ['port', id, '8080/tcp'], env).split(':').pop();
    for (const deadline = performance.now() + 60_000; ;) {
      const up = await get(`http://${host}:${port}/healthz`, 1000).then(
        (r) => r.status === 200,
        () => false,
      );
      if (up) break;
      if (performance.now() > deadline) throw new Error(`the app built by hand never answered at ${host}:${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsed = performance.now() - started;
    sh(bin, ['rm', '-f', id], env);
    return elapsed;
  } finally {
    spawnSync(bin, ['rmi', '-f', tag], { env, stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

await runMain(async () => {
  await requireEngine();
  const lab = await findLab('lab1');
  console.log(
    `stagecraft bench — lab 1, ${RUNS} runs each, medians (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores)\n`,
  );

  if (wanted('start')) {
    timeCommand(process.execPath, ['bin/stagecraft.mjs', '--help']); // compiles first if a source changed
    const starts = Array.from({ length: 10 }, () => timeCommand(process.execPath, ['bin/stagecraft.mjs', '--help']));
    console.log('the command starting: `stagecraft --help`, the whole process, 10 runs');
    console.log(`  median ${s(median(starts))}   (target ≤ 0.30 s: ${median(starts) <= 300 ? 'met' : 'NOT met'}; runs: ${starts.map(s).join(', ')})\n`);
  }

  if (wanted('grade')) {
    // Warm every path once (base image layers, BuildKit cache mounts, the compiled graders), then alternate.
    // Exits non-zero (and throws) unless every check passed.
    const npmGrade = () => timeVerdict('npm', ['run', '-s', 'grade', 'lab1', '--', '--solution'], /checks passed/);
    await npmGrade();
    await byHand(lab, 0);
    const whole: number[] = [];
    const onScreen: number[] = [];
    const manual: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const t = await npmGrade();
      whole.push(t.exitMs);
      onScreen.push(t.verdictMs);
      manual.push(await byHand(lab, i));
    }
    const ratio = median(whole) / median(manual);
    console.log('what a student waits for: the whole command vs the same work by hand (source edit, build, run, one request)');
    console.log(`  npm run grade lab1 -- --solution  ${s(median(whole))}   (runs: ${whole.map(s).join(', ')})`);
    console.log(`    its verdict on screen           ${s(median(onScreen))}   (runs: ${onScreen.map(s).join(', ')}; the clean-up follows it)`);
    console.log(`  by hand with the docker CLI       ${s(median(manual))}   (runs: ${manual.map(s).join(', ')}; its container left running)`);
    console.log(
      `  ratio                             ${ratio.toFixed(2)}   (target ≤ 1.3: ${ratio <= 1.3 ? 'met' : 'NOT met'}; to the verdict on screen ${(median(onScreen) / median(manual)).toFixed(2)})\n`,
    );

    const graded: number[] = [];
    const manual2: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const result = await grade(lab, { dockerfile: { kind: 'solution' } });
      if (!result.passed) throw new Error('the lab 1 solution did not pass: the benchmark is meaningless');
      graded.push(result.durationMs);
      manual2.push(await byHand(lab, RUNS + i));
    }
    const inProcess = median(graded) / median(manual2);
    console.log('in-process: grade() inside this process (no process or npm start) vs by hand');
    console.log(`  grade() lab1 solution             ${s(median(graded))}   (runs: ${graded.map(s).join(', ')})`);
    console.log(`  by hand with the docker CLI       ${s(median(manual2))}   (runs: ${manual2.map(s).join(', ')})`);
    console.log(`  ratio                             ${inProcess.toFixed(2)}\n`);
  }

  if (wanted('watch')) await benchWatch(lab);

  if (wanted('starter')) {
    const starter = await grade(lab);
    console.log(`grading the starter (${formatBytes(starter.image?.size ?? 0)}, ${starter.score}/${starter.maxScore} checks)`);
    console.log(
      `  total ${s(starter.durationMs)}; ` +
        Object.entries(starter.timings)
          .map(([k, v]) => `${k} ${s(v!)}`)
          .join(', '),
    );
    const scanMs = starter.timings.scan ?? 0;
    console.log(
      `  layer scan: ${s(scanMs)} for ${formatBytes(starter.image?.size ?? 0)} streamed (${formatBytes(((starter.image?.size ?? 0) / Math.max(scanMs, 1)) * 1000)}/s), nothing unpacked to disk`,
    );
  }

  if (wanted('batch')) await benchBatch();
  if (wanted('class')) await benchClass();
  if (wanted('explain')) {
    console.log('');
    await benchExplain();
  }
  if (wanted('room')) {
    console.log('');
    await benchRoom();
  }
});

/** A batch of the integration test's class of six, at concurrency 1 and 2. */
async function benchBatch(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'stagecraft-bench-class-'));
  try {
    await makeClass(path.join(work, 'class'), CLASS_OF_SIX);
    const labs = [await findLab('lab1'), await findLab('lab4')];
    console.log('\na batch: six students, labs 1 and 4 (12 submissions, 9 to build)');
    for (const concurrency of [1, 2]) {
      const out = path.join(work, `out-${concurrency}`);
      const t0 = Date.now();
      await runBatch({
        submissionsDir: path.join(work, 'class'),
        labs,
        outDir: out,
        concurrency,
        resume: false,
        minFreeBytes: 0,
        progress: silentBatchProgress,
      });
      const wall = Date.now() - t0;
      const graded = (await loadRecords(out)).filter((r) => r.result);
      const sum = graded.reduce((total, r) => total + r.result!.durationMs, 0);
      const overhead =
        concurrency === 1
          ? `, overhead over the sum of single grades ${(((wall - sum) / sum) * 100).toFixed(1)}%`
          : `, ${(sum / wall).toFixed(2)} grades' worth of work per unit of wall time`;
      console.log(`  concurrency ${concurrency}: ${s(wall)} wall, ${s(sum / graded.length)} per graded lab${overhead}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The reference solution with a harmless edit: an ENV after each FROM, so every step after it runs again. */
function edited(solution: string, n: number): string {
  return solution.replace(/^FROM .*$/gm, (from) => `${from}\nENV STAGECRAFT_BENCH_EDIT=${RUN_MARK}-${n}`);
}

/**
 * A class of distinct submissions: nothing of their builds is in the build cache, and each
 * student's cache mounts are new (its own namespace), so they start from the lab's warm
 * caches. Each grade against a warm single grade of the same kind of Dockerfile: the
 * edited solution graded twice, the second time.
 */
async function benchClass(): Promise<void> {
  const sizes: [string, number][] = [
    ['lab1', Number(process.env.BENCH_CLASS_LAB1 ?? 30)],
    ['lab2', Number(process.env.BENCH_CLASS_LAB2 ?? 10)],
  ];
  const work = await mkdtemp(path.join(tmpdir(), 'stagecraft-bench-class-'));
  try {
    for (const [id, size] of sizes) {
      const lab = await findLab(id);
      const solution = await readFile(path.join(solutionDir(lab), 'Dockerfile'), 'utf8');
      const single = path.join(work, `${lab.id}-single.Dockerfile`);
      await writeFile(single, edited(solution, 0));
      await grade(lab, { dockerfile: { kind: 'path', path: single } });
      const warm = await grade(lab, { dockerfile: { kind: 'path', path: single } });
      if (!warm.passed) throw new Error(`the ${lab.id} solution did not pass: the benchmark is meaningless`);
      console.log(
        `\na class of ${lab.id}: ${size} distinct submissions (the solution with its own ENV line each); a warm single grade of one: ${s(warm.durationMs)}`,
      );
      for (const concurrency of [1, 2]) {
        const classDir = path.join(work, `${lab.id}-class-${concurrency}`);
        for (let n = 1; n <= size; n++) {
          const dir = path.join(classDir, `student-${concurrency}-${n}`, 'labs', lab.id);
          await mkdir(dir, { recursive: true });
          await writeFile(path.join(dir, 'Dockerfile'), edited(solution, concurrency * 1000 + n));
          await cp(path.join(solutionDir(lab), '.dockerignore'), path.join(dir, '.dockerignore'));
        }
        const out = path.join(work, `${lab.id}-out-${concurrency}`);
        const t0 = Date.now();
        await runBatch({ submissionsDir: classDir, labs: [lab], outDir: out, concurrency, resume: false, minFreeBytes: 0, progress: silentBatchProgress });
        const wall = Date.now() - t0;
        const records = await loadRecords(out);
        const graded = records.filter((r) => r.result?.passed).map((r) => r.result!.durationMs);
        // A grade that did not pass is timed out of the figures: what stopped it is said, not lost with the bench's folder.
        for (const r of records.filter((r) => !r.result?.passed)) {
          const failed = (r.result?.checks ?? []).filter((c) => !c.passed && !c.skipped).map((c) => `${c.id}: ${c.message.split('\n')[0]}`);
          console.log(`  ${r.student} did not pass: ${r.status === 'graded' ? failed.join('; ') : `${r.status} (${r.reason ?? ''})`}`);
        }
        const ratio = median(graded) / warm.durationMs;
        console.log(
          `  concurrency ${concurrency}: ${graded.length}/${size} passed, ${s(wall)} wall, a grade ${s(median(graded))} (median; slowest ${s(Math.max(...graded))}), ` +
            `${ratio.toFixed(2)}× the warm single grade (target ≤ 1.5: ${ratio <= 1.5 ? 'met' : 'NOT met'})`,
        );
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * `grade --watch` as a student uses it: from saving the Dockerfile (the solution with a new
 * ENV line each time) to the verdict's last line on screen, against the same work by hand.
 * The watcher waits SAVE_SETTLE_MS (0.1 s) for more saves before it grades: that is in the figure.
 */
async function benchWatch(lab: Awaited<ReturnType<typeof findLab>>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-bench-watch-'));
  const file = path.join(dir, 'Dockerfile');
  const solution = await readFile(path.join(solutionDir(lab), 'Dockerfile'), 'utf8');
  await writeFile(file, edited(solution, 0));
  const child = spawn(process.execPath, ['bin/stagecraft.mjs', 'grade', lab.id, '--dockerfile', file, '--watch'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1', NO_COLOR: '1' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.resume();
  const verdicts = () => (out.match(/checks passed/g) ?? []).length;
  try {
    await until(async () => verdicts() >= 1, 600_000, 20);
    const watched: number[] = [];
    const manual: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const before = verdicts();
      const t0 = performance.now();
      await writeFile(file, edited(solution, i));
      await until(async () => verdicts() > before, 600_000, 10);
      watched.push(performance.now() - t0);
      manual.push(await byHand(lab, 2 * RUNS + i, edited(solution, 1000 + i))); // the same Dockerfile edit, by hand
    }
    const ratio = median(watched) / median(manual);
    console.log('grade --watch: from saving the Dockerfile to the verdict on screen, vs the same work by hand');
    console.log(`  a save, graded by --watch          ${s(median(watched))}   (runs: ${watched.map(s).join(', ')})`);
    console.log(`  by hand with the docker CLI       ${s(median(manual))}   (runs: ${manual.map(s).join(', ')})`);
    console.log(`  ratio                             ${ratio.toFixed(2)}   (target ≤ 1.05: ${ratio <= 1.05 ? 'met' : 'NOT met'})\n`);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}
