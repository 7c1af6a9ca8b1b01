/**
 * `npm run bench`'s explain section (also `tsx scripts/bench/explain.ts` alone) — figures:
 *  1. `stagecraft explain` of the 864 MB lab 1 starter, the whole command, against the
 *     engine's own `docker save` of the same image to /dev/null (target: ≤ 1.5×);
 *  2. the peak memory of the whole `stagecraft explain` process (its VmHWM, from
 *     /usr/bin/time -v) on that image and on an image of 300,000 small files, with and
 *     without the page (target: ≤ 300 MB).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GradeBuilds, type GradeBuildOptions } from '../../graders/buildkit/grade-builds.js';
import { makeTempFolder } from '../../graders/cleanup/temp-folder.js';
import { removeImage, requireEngine } from '../../graders/engine/docker.js';
import { formatBytes, formatCount } from '../../graders/format/bytes.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { findLab, labDir } from '../../graders/lab.js';
import { ensureBaseImages } from '../../graders/pipeline/base-images.js';
import { parseDockerfile } from '../../graders/lint/dockerfile.js';
import { labContextRequest, prepareContext } from '../../graders/prepare/context.js';
import { runMain } from '../../graders/cli/run-main.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIN = path.join(REPO_ROOT, 'bin', 'stagecraft.mjs');
const DOCKER = '/usr/bin/docker';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Run a command to the end under /usr/bin/time -v, its output to /dev/null: its wall time and the peak RSS of the process. */
function measured(command: string, args: string[]): { ms: number; peakBytes: number; status: number | null; stderr: string } {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', command, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'ignore', 'pipe'] });
  if (command === DOCKER && r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr.trim().split('\n')[0]}`);
  const ms = performance.now() - started;
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0);
  return { ms, peakBytes: kb * 1024, status: r.status, stderr: r.stderr };
}

function explainRun(image: string, extra: string[] = []) {
  const r = measured(process.execPath, [BIN, 'explain', image, '--json', ...extra]);
  if (r.status !== 0 && r.status !== 2) throw new Error(`stagecraft explain ${image} failed: ${r.stderr.split('\n').slice(-12).join(' ')}`);
  return r;
}

/** Build a Dockerfile from a folder as a grade builds it (limits, network, fence, cache ledger); the image's tag. */
async function build(contextDir: string, tag: string, opts: Partial<GradeBuildOptions> = {}): Promise<string> {
  const r = await GradeBuilds.once({ network: 'none', buildTimeoutMs: 15 * 60_000, ...opts }, contextDir, tag);
  if (!r.ok) throw new Error(`the bench image ${tag} did not build: ${r.error}`);
  return tag;
}

async function lab1Starter(tag: string): Promise<void> {
  const lab = await findLab('lab1');
  const file = path.join(labDir(lab), 'Dockerfile');
  const context = await prepareContext(labContextRequest(lab, file));
  try {
    const lint = parseDockerfile(context.dockerfileBytes);
    if (lint.ok) await ensureBaseImages(lint.dockerfile, log);
    await build(context.dir, tag, { network: lab.buildNetwork ? 'default' : 'none' });
  } finally {
    await context.remove();
  }
}

/** 300,000 files of 10 bytes in 30 folders: what a node_modules-heavy image looks like to a scan. */
async function manySmallFiles(tag: string): Promise<void> {
  const folder = await makeTempFolder('grade');
  try {
    await writeFile(
      path.join(folder.dir, 'Dockerfile'),
      'FROM debian:trixie-slim\nRUN mkdir /data && cd /data && for i in $(seq 0 29); do mkdir $i && (cd $i && head -c 100000 /dev/urandom | split -b 10 -a 4 -); done\n',
    );
    await build(folder.dir, tag, { buildLimits: { files: 1_000_000 } }); // more files than a grade allows: that is the point
  } finally {
    await folder.remove();
  }
}

export async function benchExplain(): Promise<void> {
  await requireEngine();
  const id = randomBytes(4).toString('hex');
  const starter = `stagecraft-grade/bench-explain-starter:${id}`;
  const many = `stagecraft-grade/bench-explain-300k:${id}`;
  const pages = await makeTempFolder('grade');
  const page = (name: string) => ['--html', path.join(pages.dir, `${name}.html`)];
  try {
    console.log('explain (the whole `stagecraft explain` command, medians)');
    log('building the lab 1 starter and an image of 300,000 small files…');
    await lab1Starter(starter);
    await manySmallFiles(many);
    const size = Number(spawnSync(DOCKER, ['image', 'inspect', '-f', '{{.Size}}', starter], { encoding: 'utf8' }).stdout.trim());

    // Warm the engine's page cache for both, then alternate.
    measured(DOCKER, ['save', starter]);
    explainRun(starter);
    const saves: number[] = [];
    const explains: ReturnType<typeof explainRun>[] = [];
    for (let i = 0; i < RUNS; i++) {
      saves.push(measured(DOCKER, ['save', starter]).ms);
      explains.push(explainRun(starter));
    }
    const ratio = median(explains.map((e) => e.ms)) / median(saves);
    console.log(`  lab 1 starter, ${formatBytes(size)}:`);
    console.log(`    docker save > /dev/null         ${s(median(saves))}   (runs: ${saves.map(s).join(', ')})`);
    console.log(`    stagecraft explain --json       ${s(median(explains.map((e) => e.ms)))}   (runs: ${explains.map((e) => s(e.ms)).join(', ')})`);
    console.log(`    ratio                           ${ratio.toFixed(2)}   (target ≤ 1.50: ${ratio <= 1.5 ? 'met' : 'NOT met'})`);

    const peaks: [string, number][] = [
      ['lab 1 starter, --json', Math.max(...explains.map((e) => e.peakBytes))],
      ['lab 1 starter, --json --html', explainRun(starter, page('starter')).peakBytes],
      ['300,000 small files, --json', explainRun(many).peakBytes],
      ['300,000 small files, --json --html', explainRun(many, page('many')).peakBytes],
    ];
    const files = JSON.parse(spawnSync(process.execPath, [BIN, 'explain', many, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout) as {
      image: { layers: { files: number }[] };
    };
    console.log(
      `  peak memory of the whole process (VmHWM; the image of small files holds ${formatCount(files.image.layers.reduce((n, l) => n + l.files, 0))} entries):`,
    );
    for (const [what, bytes] of peaks)
      console.log(`    ${what.padEnd(36)} ${formatBytes(bytes).padStart(8)}   (target ≤ 300 MB: ${bytes <= 300e6 ? 'met' : 'NOT met'})`);
    const pageSize = async (name: string) => formatBytes((await stat(path.join(pages.dir, `${name}.html`))).size);
    console.log(`  the pages: lab 1 starter ${await pageSize('starter')}, 300,000 small files ${await pageSize('many')}`);
  } finally {
    await removeImage(starter).catch(() => undefined);
    await removeImage(many).catch(() => undefined);
    await pages.remove();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runMain(benchExplain);
}
