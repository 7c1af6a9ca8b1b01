/**
 * The runner inside the cgroup v2 VM (scripts/cgroup2.ts boots it; guest.sh starts it as root
 * beside dockerd): loads the base images baked into the disk, runs the build fence's probe, then
 * the build-time hostile cases one at a time, as test/integration/hostile.test.ts grades them
 * (cases.ts: the same limits, the same expected messages). After each case it looks for what
 * may be left behind: containers and grade images, temporary folders, processes, step cgroups.
 * Each finding is one JSON line in /out/results.jsonl (the host reads it as it comes), and a
 * line for the serial console.
 */
import { appendFileSync, createReadStream, existsSync, readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildFence } from '../../graders/fence/index.js';
import { docker, followToEnd, imageExists } from '../../graders/engine/docker.js';
import { findLab } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { caseOptions, HOSTILE_CASES, judgeCase, PIDS_PROBE, type HostileCase } from '../../test/fixtures/hostile/cases.js';
import { leftovers } from '../../test/helpers/engine.js';
import { CASE_KEYS, TCG_SLOWDOWN, VM_BUILD_TIMEOUT_MS, type GuestLine } from './shared.js';

const OUT = '/out/results.jsonl';
const IMAGES = '/var/lib/stagecraft-images';
const emit = (line: GuestLine) => {
  appendFileSync(OUT, `${JSON.stringify(line)}\n`);
  process.stdout.write(`stagecraft-guest: ${JSON.stringify(line)}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = <T>(ms: number, what: Promise<T>) => Promise.race([what, sleep(ms).then(() => Promise.reject(new Error(`no answer within ${ms / 1000} s`)))]);

async function engineUp(): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return ((await docker().version()) as { Version: string }).Version;
    } catch (err) {
      if (i >= 600) throw err;
      await sleep(1000);
    }
  }
}

/** The processes a case's steps started, if any outlived their step (as hostile.test.ts looks). */
async function survivors(): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
    if (/^sleep 424[12]$|bomb\(\)|while :; do :; done|^head -c 6000M|^awk 'BEGIN|xargs touch/.test(cmd)) found.push(`${pid} ${cmd}`);
  }
  return found;
}

/** Step groups still under BuildKit's parent group (none may outlive its build), after a grace for BuildKit to remove them. */
async function stepGroups(parent: string | undefined): Promise<string[]> {
  if (!parent) return [];
  let left: string[] = [];
  for (let i = 0; i < 20; i++) {
    left = existsSync(parent)
      ? readdirSync(parent, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
      : [];
    if (left.length === 0) break;
    await sleep(500);
  }
  return left.map((n) => path.join(parent, n));
}

const main = async () => {
  const started = Date.now();
  const version = await engineUp();
  emit({ kind: 'engine', version, seconds: (Date.now() - started) / 1000, cgroup: (await readFile('/proc/self/cgroup', 'utf8')).trim() });

  for (const file of readdirSync(IMAGES).filter((f) => f.endsWith('.tar'))) {
    const t = Date.now();
    await followToEnd(await docker().loadImage(createReadStream(path.join(IMAGES, file))));
    emit({ kind: 'image', file, seconds: (Date.now() - t) / 1000 });
  }
  if (!(await imageExists('debian:trixie-slim'))) throw new Error("debian:trixie-slim did not load into the VM's engine");

  const t = Date.now();
  const fence = await buildFence();
  const probe: GuestLine =
    'fence' in fence
      ? { kind: 'probe', ok: true, seconds: (Date.now() - t) / 1000, inside: fence.inside, site: fence.fence.site }
      : { kind: 'probe', ok: false, seconds: (Date.now() - t) / 1000, reason: fence.reason };
  emit(probe);
  if (!('fence' in fence)) return;
  const parent = fence.fence.site.parent.controllers.pids?.dir;
  emit({ kind: 'groups', after: 'probe', left: await stepGroups(parent) });

  const lab = await findLab('lab1');
  const before = await leftovers();
  let pidsFence = false;
  // The host names the cases on the kernel's command line (default: all of them).
  const only = (await readFile('/proc/cmdline', 'utf8')).match(/stagecraft\.cases=(\S+)/)?.[1]?.split(',') ?? Object.keys(CASE_KEYS);
  const cases: [string, HostileCase][] = [
    ['pids-probe', PIDS_PROBE],
    ...Object.entries(CASE_KEYS).map(([k, name]): [string, HostileCase] => [k, HOSTILE_CASES.find((c) => c.name === name)!]),
  ];
  for (const [key, c] of cases) {
    if (key !== 'pids-probe' && !only.includes(key)) continue;
    if (c.needsPidsFence && !pidsFence) {
      emit({
        kind: 'case',
        key,
        name: c.name,
        expected: c.message.source,
        seen: 'not run: the pids fence did not hold in its bounded probe',
        problems: ['not run'],
        seconds: 0,
        left: [],
      });
      continue;
    }
    const t0 = Date.now();
    let seen = '';
    let problems: string[];
    // TCG runs everything 10-50 times slower: the grade's whole-build bound is raised, and so is
    // the step timeout where the expected message does not name it, so that slowness never
    // stands in for the limit under test (1,000 forks take longer than 20 s here).
    const base = caseOptions(c);
    const namesStepTimeout = c.message.source.includes('the time one step may take');
    const options = {
      ...base,
      buildTimeoutMs: Math.max(base.buildTimeoutMs ?? 0, VM_BUILD_TIMEOUT_MS),
      stepTimeoutMs: namesStepTimeout ? base.stepTimeoutMs : (base.stepTimeoutMs ?? 0) * TCG_SLOWDOWN,
    };
    try {
      const result = await within(
        c.withinSeconds * TCG_SLOWDOWN * 1000 + 60_000,
        grade(lab, { ...options, dockerfile: { kind: 'path', path: await c.dockerfile() } }),
      );
      const seconds = (Date.now() - t0) / 1000;
      const check = result.checks.find((k) => k.id === c.fails);
      seen = check ? `${check.passed ? '✓' : check.skipped ? '–' : '✗'} ${check.message}` : `(no ${c.fails} check)`;
      problems = judgeCase({ ...c, withinSeconds: c.withinSeconds * TCG_SLOWDOWN }, result, seconds);
      if (result.notes.some((n) => n.startsWith('build limits are off'))) problems.push(result.notes.find((n) => n.startsWith('build limits are off'))!);
    } catch (err) {
      problems = [`the grader threw: ${(err as Error).message.split('\n')[0]}`];
      seen = problems[0]!;
    }
    const seconds = (Date.now() - t0) / 1000;
    const after = await leftovers();
    const left = [
      ...(['containers', 'images', 'tempDirs'] as const).flatMap((k) => after[k].filter((x) => !before[k].includes(x)).map((x) => `${k}: ${x}`)),
      ...(await survivors()).map((p) => `process: ${p}`),
      ...(await stepGroups(parent)).map((g) => `step cgroup: ${g}`),
    ];
    if (key === 'pids-probe') pidsFence = problems.length === 0;
    emit({ kind: 'case', key, name: c.name, expected: c.message.source, seen, problems, seconds, left });
  }
  emit({ kind: 'end', seconds: (Date.now() - started) / 1000 });
};

main().then(
  () => process.exit(0),
  (err: Error) => {
    emit({ kind: 'error', message: err.message.split('\n')[0]! });
    process.exit(1);
  },
);
