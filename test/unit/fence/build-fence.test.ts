import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildTrace, strainedBy, type BuildResult } from '../../../graders/buildkit/build.js';
import { builds } from '../../../graders/checks/builds.js';
import { parseDockerfile } from '../../../graders/lint/dockerfile.js';
import {
  applyLimits,
  ceilingFor,
  cgroupMounts,
  childDirs,
  groupEmpty,
  groupMissing,
  keyValues,
  parentDirs,
  placeInHierarchies,
  readCeiling,
  writeCeiling,
  type CgroupDirs,
} from '../../../graders/fence/cgroups.js';
import { SharedCeiling } from '../../../graders/fence/ceiling.js';
import { BuildFence, type FenceStop } from '../../../graders/fence/fence.js';
import { ceilingRefusal } from '../../../graders/fence/probe.js';
import { hostRules, missingRuleInsertions, taggedRuleDeletions } from '../../../graders/run/network.js';
import { formatMemory, parseSize } from '../../../graders/format/bytes.js';
import { readStepBundle, writableFolder } from '../../../graders/fence/step-bundle.js';
import { treeSize } from '../../../graders/fence/tree-size.js';
import { encodeTrace } from '../../../graders/engine/buildkit-trace.js';
import { minFreeInodes } from '../../../graders/batch/disk.js';
import { tempFolder } from '../../helpers/folder.js';

/** This project's machine: cgroup v1 per controller, cpu and cpuacct apart, a unified hierarchy beside them. */
const HYBRID_MOUNTS = `25 24 0:23 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
28 25 0:26 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
29 25 0:27 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
31 25 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 25 0:33 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
36 25 0:34 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
37 25 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

const HYBRID_STEP = `9:name=systemd:/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8
8:pids:/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8
4:memory:/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8
2:cpuacct:/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8
1:cpu:/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8
0::/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8`;

describe('cgroups: where a build step is, on v1, v2 and the hybrid of both', () => {
  it("places a step of this project's engine (v1 per controller, a unified hierarchy beside)", () => {
    const place = placeInHierarchies(HYBRID_STEP, cgroupMounts(HYBRID_MOUNTS));
    expect(place).toEqual({
      v1: {
        pids: '/sys/fs/cgroup/pids/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8',
        memory: '/sys/fs/cgroup/memory/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8',
        cpuacct: '/sys/fs/cgroup/cpuacct/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8',
        cpu: '/sys/fs/cgroup/cpu/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8',
      },
      unified: '/sys/fs/cgroup/unified/docker/buildkit/t0dgfwsa2fa9nfmhrwrxjqhe8',
    });
  });

  it('places a step on a v2 machine with the systemd driver (one hierarchy, a scope per step)', () => {
    const mounts = cgroupMounts('30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate');
    const place = placeInHierarchies('0::/system.slice/docker-k9cehh38qce9q5oojwevs7pk2.scope\n', mounts);
    expect(place).toEqual({ v1: {}, unified: '/sys/fs/cgroup/system.slice/docker-k9cehh38qce9q5oojwevs7pk2.scope' });
  });

  it('reads combined v1 controllers (cpu,cpuacct) and mounts whose root is not /', () => {
    const mounts = cgroupMounts(`40 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
41 25 0:31 /outer /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory`);
    const place = placeInHierarchies('5:cpu,cpuacct:/docker/buildkit/x\n3:memory:/outer/docker/buildkit/x\n', mounts);
    expect(place.v1).toEqual({
      cpu: '/sys/fs/cgroup/cpu,cpuacct/docker/buildkit/x',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct/docker/buildkit/x',
      memory: '/sys/fs/cgroup/memory/docker/buildkit/x',
    });
  });

  it('goes from a step to its parent and to a sibling, in every hierarchy', () => {
    const step = {
      controllers: { memory: { dir: '/sys/fs/cgroup/memory/docker/buildkit/a', version: 1 as const } },
      unified: '/sys/fs/cgroup/unified/docker/buildkit/a',
    };
    expect(childDirs(parentDirs(step), 'b')).toEqual({
      controllers: { memory: { dir: '/sys/fs/cgroup/memory/docker/buildkit/b', version: 1 } },
      unified: '/sys/fs/cgroup/unified/docker/buildkit/b',
    });
  });

  it('reads key-value files (memory.stat, pids.events, memory.events)', () => {
    expect(keyValues('rss 4096\ntotal_rss 8192\nmax 3\nnot a number x\n')).toEqual(
      new Map([
        ['rss', 4096],
        ['total_rss', 8192],
        ['max', 3],
      ]),
    );
  });
});

describe("a step's bundle: which grade it belongs to, and where it writes", () => {
  it("finds the grade's marker even when the Dockerfile sets its own no_proxy", async () => {
    const exec = await tempFolder({});
    await mkdir(path.join(exec, 'step1'));
    await writeFile(
      path.join(exec, 'step1', 'config.json'),
      JSON.stringify({
        process: {
          args: ['/bin/sh', '-c', 'go build .'],
          env: ['PATH=/usr/bin', 'no_proxy=evil', 'NO_PROXY=evil', 'NO_PROXY=stagecraft-abc.invalid', 'no_proxy=stagecraft-abc.invalid'],
        },
        root: { path: `${exec}/step1/rootfs` },
        mounts: [
          { destination: '/etc/hosts', type: 'bind', source: '/var/lib/docker/buildkit/executor/hosts.1', options: ['rbind', 'ro'] },
          { destination: '/root/.cache/go-build', type: 'bind', source: '/var/lib/docker/overlay2/p1/diff', options: ['rbind'] },
          { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] },
        ],
      }),
    );
    const bundle = await readStepBundle(exec, 'step1');
    expect(bundle).toEqual({
      noProxy: 'evil,evil,stagecraft-abc.invalid,stagecraft-abc.invalid',
      command: '/bin/sh -c go build .',
      rootfs: `${exec}/step1/rootfs`,
      writableMounts: ['/var/lib/docker/overlay2/p1/diff'],
    });
    expect(await readStepBundle(exec, 'no-such-step')).toBeUndefined();
  });

  it("finds the folder that receives a mount's writes: the overlay's upper folder, or the folder itself", () => {
    const mountinfo = `74 27 0:52 / /var/lib/docker/buildkit/executor/abc/rootfs rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/Y2U,upperdir=/var/lib/docker/overlay2/hg01/diff,workdir=/var/lib/docker/overlay2/hg01/work
75 27 0:53 / /var/lib/docker/tmp/with\\040space rw - ext4 /dev/vda rw`;
    expect(writableFolder(mountinfo, '/var/lib/docker/buildkit/executor/abc/rootfs')).toBe('/var/lib/docker/overlay2/hg01/diff');
    expect(writableFolder(mountinfo, '/var/lib/docker/overlay2/p1/diff')).toBe('/var/lib/docker/overlay2/p1/diff');
  });
});

describe('measuring what a step wrote', () => {
  it('counts files and bytes, and stops early at a budget', async () => {
    const dir = await tempFolder({});
    await mkdir(path.join(dir, 'many'));
    for (let i = 0; i < 300; i++) await writeFile(path.join(dir, 'many', `f${i}`), '');
    await writeFile(path.join(dir, 'big'), Buffer.alloc(1_000_000, 1));
    const all = await treeSize(dir);
    expect(all.files).toBe(302);
    expect(all.bytes).toBeGreaterThanOrEqual(1_000_000);
    expect(all.complete).toBe(true);
    const capped = await treeSize(dir, 100);
    expect(capped.complete).toBe(false);
    expect(capped.files).toBeGreaterThanOrEqual(100);
    expect(capped.files).toBeLessThan(302);
    expect(await treeSize(path.join(dir, 'gone'))).toEqual({ bytes: 0, files: 0, complete: true });
  });
});

describe('build limits from the command line', () => {
  it.each([
    ['2g', 2 * 2 ** 30],
    ['1536m', 1536 * 2 ** 20],
    ['2GiB', 2 * 2 ** 30],
    ['4GB', 4e9],
    ['512MB', 512e6],
    ['1.5g', 1.5 * 2 ** 30],
    ['1048576', 1048576],
  ])('reads %j', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it.each(['', 'two', '2x', '-1g', '1 2g'])('refuses %j', (text) => expect(parseSize(text)).toBeUndefined());

  it('writes memory the way container limits are written', () => {
    expect([formatMemory(2 * 2 ** 30), formatMemory(512 * 2 ** 20), formatMemory(1.5 * 2 ** 30), formatMemory(3.3 * 2 ** 30)]).toEqual([
      '2 GiB',
      '512 MiB',
      '1.5 GiB',
      '3.3 GiB',
    ]);
  });

  it("a batch wants 100,000 free inodes, or 5% of a small file system's", () => {
    expect([minFreeInodes(16_777_216), minFreeInodes(1_000_000), minFreeInodes(0)]).toEqual([100_000, 50_000, 0]);
  });
});

describe('the build trace: the step the fence stopped, and the steps still running', () => {
  const trace = () => {
    const t = new BuildTrace();
    const line = (update: Parameters<typeof encodeTrace>[0]) => t.line(JSON.stringify({ id: 'moby.buildkit.trace', aux: encodeTrace(update) }));
    line({ vertexes: [{ digest: 'a', name: '[internal] load build definition from Dockerfile', started: true, completed: true }] });
    line({ vertexes: [{ digest: 'b', name: '[build 2/3] RUN head -c 3000M /dev/zero | tail -c 3000M > /dev/null', started: true }] });
    line({ vertexes: [{ digest: 'c', name: '[other 2/2] RUN sleep 9', started: true }] });
    return { t, line };
  };

  it('finds a step by the command runc ran, in its error or, cut short, in its name', () => {
    const { t, line } = trace();
    expect(t.stepOf('/bin/sh -c head -c 3000M /dev/zero | tail -c 3000M > /dev/null')?.digest).toBe('b');
    line({
      vertexes: [{ digest: 'c', name: '[other 2/2] RUN sleep 9', started: true, error: 'executor failed running [/bin/sh -c sleep 9]: exit code: 137' }],
    });
    expect(t.stepOf('/bin/sh -c sleep 9')?.digest).toBe('c');
    expect(t.stepOf('/bin/sh -c make all')).toBeUndefined();
  });

  it('lists the Dockerfile steps still running, with when they started', () => {
    const { t } = trace();
    expect(t.running().map((s) => s.digest)).toEqual(['b', 'c']);
    expect(t.running().every((s) => typeof s.startedAt === 'number')).toBe(true);
  });
});

describe('the builds check, for a step stopped or a network missed', () => {
  const lint = parseDockerfile('FROM debian:trixie-slim\nRUN apt-get update && apt-get install -y curl\n');
  const step = {
    digest: 'a',
    name: '[2/2] RUN apt-get update && apt-get install -y curl',
    cached: false,
    done: false,
    error: 'executor failed running [/bin/sh -c apt-get update && apt-get install -y curl]: exit code: 100',
    tail: ['E: Unable to locate package curl'],
  };
  const build = (over: Partial<BuildResult>): BuildResult => ({
    ok: false,
    error: step.error,
    steps: [step],
    failedStep: step,
    log: '',
    timedOut: false,
    durationMs: 1,
    ...over,
  });

  it('names the step, its line and the limit it went past', () => {
    const v = builds().evaluate({ lint, build: build({ stopped: { reason: 'memory', why: 'it used more than 2 GiB of memory', machine: false } }) });
    expect(v.message).toBe('`RUN apt-get update && apt-get install -y curl` (Dockerfile line 2) was stopped: it used more than 2 GiB of memory');
    expect(v.hint).toMatch(/^Every build step runs under limits/);
  });

  it('says the lab builds with no network when a step went looking for one', () => {
    const v = builds().evaluate({ lint, build: build({ wantedNetwork: true }) });
    expect(v.message).toBe('`RUN apt-get update && apt-get install -y curl` (Dockerfile line 2) failed with exit code 100: E: Unable to locate package curl');
    expect(v.hint).toMatch(/^This lab builds with no network at all/);
  });
});

describe("the ceiling on the steps' parent group: every step born under a limit", () => {
  /** A synthetic cgroup v2 tree: the parent BuildKit makes step groups in, with the files the kernel has. */
  async function v2Parent(): Promise<{ parent: CgroupDirs; dir: string; root: string }> {
    const root = await tempFolder({
      'docker/buildkit/memory.max': 'max\n',
      'docker/buildkit/memory.swap.max': 'max\n',
      'docker/buildkit/pids.max': 'max\n',
      'docker/buildkit/memory.current': '52428800\n',
    });
    const dir = path.join(root, 'docker/buildkit');
    return { parent: { controllers: { memory: { dir, version: 2 }, pids: { dir, version: 2 } }, unified: dir }, dir, root };
  }
  const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8').trim();

  it('writes memory.max, memory.swap.max and pids.max on v2, and puts the earlier limits back with the last holder', async () => {
    const { parent, dir } = await v2Parent();
    const meeting = await tempFolder({});
    const ceiling = new SharedCeiling(parent, meeting, { memoryBytes: 2 ** 30, pids: 256 });
    ceiling.hold({ memoryBytes: 2 * 2 ** 30, pids: 512 });
    expect([read(dir, 'memory.max'), read(dir, 'memory.swap.max'), read(dir, 'pids.max')]).toEqual([String(3 * 2 ** 30), '0', '768']);
    ceiling.hold({ memoryBytes: 4 * 2 ** 30, pids: 1024 }); // a second grade of this process
    expect(read(dir, 'memory.max')).toBe(String(5 * 2 ** 30));
    ceiling.release();
    expect([read(dir, 'memory.max'), read(dir, 'memory.swap.max'), read(dir, 'pids.max')]).toEqual(['max', 'max', 'max']);
  });

  it('adds the needs of other grader processes, forgets those that died, and leaves the last one to restore', async () => {
    const { parent, dir } = await v2Parent();
    const meeting = await tempFolder({});
    const ceiling = new SharedCeiling(parent, meeting, { memoryBytes: 0, pids: 0 });
    ceiling.hold({ memoryBytes: 2 ** 30, pids: 100 });
    const folder = path.join(meeting, readdirSync(meeting)[0]!);
    // Another grader, alive (pid 1 and its real start time), and one that died (a start time no process has).
    const init = readFileSync('/proc/1/stat', 'utf8').split(') ').pop()!.split(' ')[19];
    writeFileSync(path.join(folder, `holder-1-${init}.json`), JSON.stringify({ memoryBytes: 2 ** 30, pids: 50 }));
    writeFileSync(path.join(folder, 'holder-1-999999999999.json'), JSON.stringify({ memoryBytes: 8 * 2 ** 30, pids: 5000 }));
    ceiling.hold({ memoryBytes: 2 ** 30, pids: 100 });
    expect([read(dir, 'memory.max'), read(dir, 'pids.max')]).toEqual([String(2 * 2 ** 30), '150']);
    expect(existsSync(path.join(folder, 'holder-1-999999999999.json'))).toBe(false);
    ceiling.release(); // the other grader still builds: its share stays, the earlier limits do not come back yet
    expect([read(dir, 'memory.max'), read(dir, 'pids.max')]).toEqual([String(2 ** 30), '50']);
    rmSync(path.join(folder, `holder-1-${init}.json`));
    const later = new SharedCeiling(parent, meeting, { memoryBytes: 0, pids: 0 });
    later.hold({ memoryBytes: 2 ** 30, pids: 10 });
    later.release();
    expect([read(dir, 'memory.max'), read(dir, 'pids.max')]).toEqual(['max', 'max']);
  });

  it('on v1, raises memory+swap before memory and lowers memory before memory+swap (the kernel refuses memory above memory+swap)', async () => {
    const root = await tempFolder({ 'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '9223372036854771712', 'pids.max': 'max' });
    const dirs: CgroupDirs = { controllers: { memory: { dir: root, version: 1 }, pids: { dir: root, version: 1 } } };
    const before = readCeiling(dirs);
    writeCeiling(dirs, ceilingFor(dirs, { memoryBytes: 3 * 2 ** 30, pids: 700 }));
    expect(readCeiling(dirs)).toEqual({ memory: String(3 * 2 ** 30), swap: String(3 * 2 ** 30), pids: '700' });
    writeCeiling(dirs, before);
    expect(readCeiling(dirs)).toEqual(before);
  });

  it("switches a step's OOM killer off before its memory limit holds (v1), and asks for the whole group on v2", async () => {
    // The limit file cannot be written (a folder stands in its place): what was written before it shows the order.
    for (const [version, killer, limit, expected] of [
      [1, 'memory.oom_control', 'memory.limit_in_bytes', '1'],
      [2, 'memory.oom.group', 'memory.max', '1'],
    ] as const) {
      const root = await tempFolder({ [killer]: '0', 'pids.max': 'max' });
      await mkdir(path.join(root, limit));
      const dirs: CgroupDirs = { controllers: { memory: { dir: root, version }, pids: { dir: root, version } } };
      await expect(applyLimits(dirs, { memoryBytes: 2 ** 27, pids: 64, cpus: 1 })).rejects.toThrow(/EISDIR/);
      expect(readFileSync(path.join(root, killer), 'utf8')).toBe(expected);
    }
  });

  it("refuses a parent shared with the machine's services (the systemd driver's system.slice)", () => {
    const at = (dir: string): CgroupDirs => ({ controllers: { memory: { dir, version: 2 }, pids: { dir, version: 2 } } });
    expect(ceilingRefusal(at('/sys/fs/cgroup/docker/buildkit'))).toBeUndefined();
    expect(ceilingRefusal(at('/sys/fs/cgroup/system.slice'))).toMatch(/directly in system\.slice \(the systemd cgroup driver\)/);
  });
});

/** A fence over a synthetic cgroup tree (steps found by a poll), with one grade registered. */
function fenceOnTree(parent: CgroupDirs, exec: string, root: string) {
  const fence = new BuildFence(
    { parent, leaf: { prefix: '', suffix: '' }, execRoot: exec, mountinfo: '/dev/null', fsRoot: '', dataRoot: root },
    { pollMs: 20 },
  );
  return { fence, grade: fence.register({ memoryBytes: 2 ** 30, pids: 100, cpus: 1, diskBytes: 1e9, files: 1000 }) };
}

describe('a step whose limits cannot be written is stopped, never left unlimited', () => {
  it('stops the step and says the grader could not limit it (v2 tree, memory.max not writable)', async () => {
    const root = await tempFolder({ 'docker/buildkit/pids.max': 'max' });
    const parentDir = path.join(root, 'docker/buildkit');
    const exec = await tempFolder({});
    const { fence, grade } = fenceOnTree(
      { controllers: { memory: { dir: parentDir, version: 2 }, pids: { dir: parentDir, version: 2 } }, unified: parentDir },
      exec,
      root,
    );
    const stopped = new Promise<FenceStop>((resolve) => (grade.onStop = resolve));
    await mkdir(path.join(exec, 'step1'), { recursive: true });
    await writeFile(
      path.join(exec, 'step1', 'config.json'),
      JSON.stringify({ process: { args: ['/bin/sh', '-c', 'sleep 1'], env: [`no_proxy=${grade.marker}`] } }),
    );
    // The step's group, where memory.max cannot be written (a folder stands in its place).
    await mkdir(path.join(parentDir, 'step1', 'memory.max'), { recursive: true });
    const stop = await stopped;
    await fence.release(grade);
    expect(stop).toMatchObject({ reason: 'unfenced', machine: true, command: '/bin/sh -c sleep 1' });
    expect(grade.failure).toMatch(/^the build limits could not be put on a step \(EISDIR/);
  });
});

describe("a step's group missing when its limits are written", () => {
  it('is never let go while it holds a process: a group still missing in one hierarchy, with a process in another, is stopped as unlimited', async () => {
    const root = await tempFolder({ 'memory/docker/buildkit/memory.limit_in_bytes': '9223372036854771712', 'pids/docker/buildkit/pids.max': 'max' });
    const memoryDir = path.join(root, 'memory/docker/buildkit');
    const pidsDir = path.join(root, 'pids/docker/buildkit');
    const exec = await tempFolder({});
    const { fence, grade } = fenceOnTree({ controllers: { memory: { dir: memoryDir, version: 1 }, pids: { dir: pidsDir, version: 1 } } }, exec, root);
    const stopped = new Promise<FenceStop | 'let go'>((resolve) => {
      grade.onStop = resolve;
      setTimeout(() => resolve('let go'), 3000);
    });
    await mkdir(path.join(exec, 'step1'), { recursive: true });
    await writeFile(
      path.join(exec, 'step1', 'config.json'),
      JSON.stringify({ process: { args: ['/bin/sh', '-c', 'sleep 9'], env: [`no_proxy=${grade.marker}`] } }),
    );
    // The step's group in the pids hierarchy, with its process in it; never made in the memory hierarchy.
    await mkdir(path.join(pidsDir, 'step1'), { recursive: true });
    await writeFile(path.join(pidsDir, 'step1', 'cgroup.procs'), '4242\n');
    const stop = await stopped;
    await fence.release(grade);
    expect(stop).toMatchObject({ reason: 'unfenced', machine: true, command: '/bin/sh -c sleep 9' });
    expect(grade.failure).toMatch(/^the build limits could not be put on a step \(ENOENT/);
  });

  // CI, Docker 28 on cgroup v1: a quick step ended between being seen and being limited, the
  // write failed ENODEV, and the build was stopped as "could not put its limits on it".
  it('is waited for when runc has not made it yet; is a step over when the kernel is removing it; anything else stops the step', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(groupMissing(err('ENOENT'))).toBe('not yet');
    expect(groupMissing(err('ENODEV'))).toBe('removed');
    expect(groupMissing(err('EISDIR'))).toBeUndefined();
    expect(groupMissing(err('EBUSY'))).toBeUndefined();
    expect(groupMissing(new Error('no code'))).toBeUndefined();
  });

  it('is empty when gone, going or holding no process in any hierarchy', async () => {
    const root = await tempFolder({ 'memory/step/cgroup.procs': '', 'pids/step/cgroup.procs': '\n' });
    const dirs = (pidsProcs?: string): CgroupDirs => ({
      controllers: { memory: { dir: path.join(root, 'memory/step'), version: 1 }, pids: { dir: path.join(root, pidsProcs ?? 'pids/step'), version: 1 } },
    });
    expect(await groupEmpty(dirs())).toBe(true);
    expect(await groupEmpty(dirs('pids/gone'))).toBe(true);
    writeFileSync(path.join(root, 'pids/step/cgroup.procs'), '4242\n');
    expect(await groupEmpty(dirs())).toBe(false);
  });
});

describe('--build-timeout names the step that was running when the build was cut', () => {
  it('not one BuildKit listed but never started, after the cancel marked the running one failed', () => {
    const trace = new BuildTrace();
    const send = (vertexes: Parameters<typeof encodeTrace>[0]['vertexes']) =>
      trace.line(JSON.stringify({ id: 'moby.buildkit.trace', aux: encodeTrace({ vertexes }) }));
    send([
      { digest: 'a', name: '[1/3] FROM docker.io/library/debian:trixie-slim', started: true, completed: true },
      { digest: 'b', name: '[2/3] RUN sleep infinity', started: true },
      { digest: 'c', name: '[3/3] RUN echo after' },
    ]);
    expect(trace.running().map((s) => s.name)).toEqual(['[2/3] RUN sleep infinity']);
    trace.cut();
    send([{ digest: 'b', name: '[2/3] RUN sleep infinity', started: true, completed: true, error: 'context canceled' }]);
    expect(trace.runningAtCut()?.name).toBe('[2/3] RUN sleep infinity');
  });
});

describe('no route to the host: the firewall rules', () => {
  it("refuses new connections from each bridge to the host's own addresses, and forwarded ones to 169.254.0.0/16", () => {
    expect(hostRules(['docker0'])).toEqual([
      { chain: 'INPUT', args: ['-i', 'docker0', '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'stagecraft-no-host', '-j', 'REJECT'] },
      { chain: 'DOCKER-USER', args: ['-i', 'docker0', '-d', '169.254.0.0/16', '-m', 'comment', '--comment', 'stagecraft-no-host', '-j', 'REJECT'] },
    ]);
  });

  // As iptables-save prints them (nf_tables): options reordered, the reject type spelled out.
  const listing = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':DOCKER-USER - [0:0]',
    '-A INPUT -i docker0 -m conntrack --ctstate NEW -m comment --comment stagecraft-no-host -j REJECT --reject-with icmp-port-unreachable',
    '-A INPUT -i br-1 -m conntrack --ctstate NEW -j REJECT --reject-with icmp-port-unreachable',
    '-A DOCKER-USER -d 169.254.0.0/16 -i br-2 -m comment --comment stagecraft-no-host -j REJECT --reject-with icmp-port-unreachable',
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
  ].join('\n');

  it("inserts, in one transaction, only the rules no grader has put in yet (another grader's stay as they are)", () => {
    expect(missingRuleInsertions(listing, ['docker0', 'br-1'])).toEqual([
      '-I DOCKER-USER 1 -i docker0 -d 169.254.0.0/16 -m comment --comment stagecraft-no-host -j REJECT',
      '-I INPUT 1 -i br-1 -m conntrack --ctstate NEW -m comment --comment stagecraft-no-host -j REJECT',
      '-I DOCKER-USER 1 -i br-1 -d 169.254.0.0/16 -m comment --comment stagecraft-no-host -j REJECT',
    ]);
    expect(missingRuleInsertions(listing, ['br-2'])).toEqual([
      '-I INPUT 1 -i br-2 -m conntrack --ctstate NEW -m comment --comment stagecraft-no-host -j REJECT',
    ]);
  });

  it("deletes every rule of the kit's, by its tag, and nothing else", () => {
    expect(taggedRuleDeletions(listing)).toEqual([
      '-D INPUT -i docker0 -m conntrack --ctstate NEW -m comment --comment stagecraft-no-host -j REJECT --reject-with icmp-port-unreachable',
      '-D DOCKER-USER -d 169.254.0.0/16 -i br-2 -m comment --comment stagecraft-no-host -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(taggedRuleDeletions('*filter\n-A INPUT -j ACCEPT\nCOMMIT\n')).toEqual([]);
  });
});

describe('a step that reached its limit and gave up by itself', () => {
  const limits = { memoryBytes: 128 * 2 ** 20, pids: 64, cpus: 1, diskBytes: 1e9, files: 1e5 };
  const step = (tail: string[]) => ({
    digest: 'd',
    name: '[2/2] RUN cat /dev/zero | tail -c 3000M',
    cached: false,
    done: true,
    error: 'process "/bin/sh -c cat /dev/zero | tail -c 3000M" did not complete successfully: exit code: 1',
    tail,
  });
  it('is named by the limit its output names: memory, then processes', () => {
    expect(strainedBy({ strained: [], limits }, step(['tail: memory exhausted']))).toEqual({
      reason: 'memory',
      why: 'it used more than 128 MiB of memory',
      machine: false,
    });
    expect(strainedBy({ strained: [], limits }, step(["tail: error reading 'standard input': Cannot allocate memory"]))?.reason).toBe('memory');
    expect(strainedBy({ strained: [], limits }, step(["tail: error reading 'standard input': Bad address"]))?.reason).toBe('memory');
    expect(strainedBy({ strained: [], limits }, step(['sh: 1: Cannot fork']))?.reason).toBe('pids');
  });
  it("is not charged to a limit when its output names none, nor for a language's own heap limit", () => {
    expect(strainedBy({ strained: [], limits }, step(['main.go:3: undefined: x']))).toBeUndefined();
    expect(strainedBy({ strained: [], limits }, step(['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory']))).toBeUndefined();
  });
});
