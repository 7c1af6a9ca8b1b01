import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { docker, imageExists, postBuild } from '../engine/docker.js';
import { decodeTrace } from '../engine/buildkit-trace.js';
import { applyLimits, cgroupDirsOf, cgroupMounts, parentDirs, readLimits, type CgroupDirs } from './cgroups.js';
import type { FenceSite } from './fence.js';
import { firstLine } from '../format/text.js';
import { eachProcess, engineProcesses } from './engine-processes.js';

/**
 * Whether build limits hold on this engine, and where its steps run; or why they cannot.
 * `ceiling`: why the kernel's ceiling cannot sit on the parent of the steps' groups, if it
 * cannot. `retry`: the reason may pass (no image to probe with yet, a busy machine).
 */
export type ProbeVerdict = { ok: true; site: FenceSite; inside: string; ceiling?: string } | { ok: false; reason: string; retry?: boolean };

/**
 * The probe step waits (up to 10 s) for the grader's go-ahead, a file the grader writes into
 * its root once it has put limits on it and read them back; then it prints its cgroup and
 * the limits it sees, and fails on purpose: a failed step leaves no image and no cache.
 */
const GO_AHEAD = 'stagecraft-probe-go-ahead';
const SCRIPT = [
  `i=0; while [ ! -e /${GO_AHEAD} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`,
  "echo \"cgroup: $(tr '\\n' ' ' </proc/self/cgroup)\"",
  'for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max; do [ -r $f ] && echo "sees $f=$(cat $f)"; done',
  'exit 3',
].join('; ');

function probeContext(image: string, marker: string): Readable {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, `FROM ${image}\nRUN ${SCRIPT} # ${marker}\n`);
  pack.finalize();
  return pack as unknown as Readable;
}

/** The process whose environment holds the marker: the probe step, if it runs on this machine. */
function findMarked(marker: string): { pid?: number; denied: boolean } {
  let denied = false;
  for (const p of eachProcess('environ')) {
    if (p.text?.includes(`no_proxy=${marker}`)) return { pid: Number(p.pid), denied };
    if (p.error?.code === 'EACCES') denied = true;
  }
  return { denied };
}

/** `PPid` of a process, from /proc. */
async function parentPid(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const ppid = Number(/^PPid:\s*(\d+)/m.exec(status)?.[1]);
  return ppid > 1 ? ppid : undefined;
}

/** The topmost ancestor of `pid` in its mount namespace: the engine itself (runc, the step's parent, is gone once it ends). */
async function engineOf(pid: number): Promise<number> {
  const ns = (p: number) => readlink(`/proc/${p}/ns/mnt`).catch(() => '');
  const own = await ns(pid);
  let top = pid;
  for (let p = await parentPid(pid), n = 0; p && n < 8 && (await ns(p)) === own; p = await parentPid(p), n++) top = p;
  return top;
}

/**
 * Where the step's runc bundle is: a mount of its root file system at
 * `<exec root>/<id>/rootfs`, in the engine's mount namespace (ours, or that of one of the
 * step's ancestors: runc, then the engine), with the marker in `<id>/config.json`. An engine in
 * a mount namespace or a chroot of its own (a Docker beside the machine's) is read through
 * `/proc/<engine>/root`: `fsRoot` is that prefix, empty when the engine's files are ours.
 */
async function findBundle(pid: number, leaf: string, marker: string): Promise<{ execRoot: string; id: string; mountinfo: string; fsRoot: string } | undefined> {
  const candidates: (number | 'self')[] = ['self'];
  for (let p: number | undefined = await parentPid(pid), n = 0; p && n < 4; p = await parentPid(p), n++) candidates.push(p);
  for (const candidate of candidates) {
    const engine = candidate === 'self' ? 'self' : await engineOf(candidate);
    const fsRoot = engine === 'self' ? '' : `/proc/${engine}/root`;
    const mountinfo = `/proc/${engine}/mountinfo`;
    const text = await readFile(mountinfo, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const mountPoint = line.split(' ')[4] ?? '';
      const m = /^(.*)\/([^/]+)\/rootfs$/.exec(mountPoint);
      if (!m || !leaf.includes(m[2]!)) continue;
      const config = await readFile(path.join(fsRoot + m[1]!, m[2]!, 'config.json'), 'utf8').catch(() => '');
      if (config.includes(marker)) return { execRoot: m[1]!, id: m[2]!, mountinfo, fsRoot };
    }
  }
  return undefined;
}

const off = (reason: string, retry = false): ProbeVerdict => ({ ok: false, reason, retry });

/**
 * Whether an engine's process is in this machine's process list as the grader sees it. A
 * grader in a container or a PID namespace of its own, or an engine in a VM (Docker Desktop),
 * sees none: the probe could only wait for a step it will never see.
 */
function engineVisible(): boolean {
  return engineProcesses().length > 0;
}

/**
 * How long after BuildKit starts the probe step the grader looks for it, try after try: a busy
 * machine is slow to show it. STAGECRAFT_PROBE_UNSEEN_MS sets one longer wait where runc itself
 * is that slow (a VM without KVM: scripts/cgroup2.ts).
 */
const UNSEEN_AFTER_MS = Number(process.env.STAGECRAFT_PROBE_UNSEEN_MS) ? [Number(process.env.STAGECRAFT_PROBE_UNSEEN_MS)] : [3_000, 10_000, 30_000];

/**
 * Whether the kernel's ceiling may sit on the group BuildKit makes steps' groups in. The
 * cgroupfs driver gives BuildKit a group of its own (`docker/buildkit`); the systemd driver
 * puts each step's scope straight into `system.slice`, beside the machine's services,
 * where a ceiling would limit them too. Undefined when it may; else why not.
 */
export function ceilingRefusal(parent: CgroupDirs): string | undefined {
  const dir = parent.controllers.memory?.dir ?? parent.controllers.pids?.dir ?? '';
  const name = path.basename(dir);
  if (name.endsWith('.slice'))
    return `the engine makes its build steps' groups directly in ${name} (the systemd cgroup driver), beside the machine's services, where a ceiling would limit them too`;
  if (/^\/sys\/fs\/cgroup(\/[^/]+)?$/.test(dir)) return `the engine makes its build steps' groups at the top of the cgroup hierarchy (${dir})`;
  return undefined;
}

/** The reason the probe gives while no base image is there yet to build its step from. */
export const NO_IMAGE_YET = /is on the engine to probe with/;

/**
 * The probe, tried again when it may have missed its step on a busy machine (with a longer
 * wait each time), and waiting for an image to probe with while base images are still
 * being provided.
 */
export async function probeWithRetries(
  images: string[],
  waitForImageMs = 0,
  probe: (images: string[], unseenAfterMs: number) => Promise<ProbeVerdict> = probeBuildLimits,
  imagePollMs = 2000,
): Promise<ProbeVerdict> {
  let verdict: ProbeVerdict = off('the probe did not run');
  const until = Date.now() + waitForImageMs;
  for (let attempt = 0; attempt < UNSEEN_AFTER_MS.length; attempt++) {
    verdict = await probe(images, UNSEEN_AFTER_MS[attempt]!);
    if (verdict.ok || !verdict.retry) return verdict;
    if (NO_IMAGE_YET.test(verdict.reason)) {
      if (Date.now() >= until) return verdict;
      attempt--; // waiting for an image is not a try
      await new Promise((r) => setTimeout(r, imagePollMs));
    }
  }
  return verdict;
}

/**
 * Run one tiny build and find its RUN step on this machine: its cgroups (v1, v2 or both),
 * the folder BuildKit makes steps' groups in, and its runc bundle; put limits on it and
 * read them back, on the host and from inside the step. Used once per grader process.
 * `images`: images with a shell to build FROM, the first one present is used.
 */
export async function probeBuildLimits(images: string[], unseenAfterMs = UNSEEN_AFTER_MS[0]!): Promise<ProbeVerdict> {
  if (process.platform !== 'linux') return off(`the grader runs on ${process.platform}, and the engine's build steps run in a Linux VM it cannot reach`);
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://') && !/^(tcp|http|https):\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(host)) {
    return off(`the engine is on another machine (DOCKER_HOST=${host}), where the grader cannot reach its build steps`);
  }
  if (!engineVisible()) {
    return off(
      "the engine's build steps do not run on this machine, or not where the grader can see them; no Docker engine is among the processes the grader sees (a grader in a container or a process namespace of its own, or an engine in a VM)",
    );
  }
  let image: string | undefined;
  for (const ref of images) {
    if (await imageExists(ref).catch(() => false)) {
      image = ref;
      break;
    }
  }
  if (!image) return off(`none of ${images.join(', ')} is on the engine to probe with (run \`npm run images\`)`, true);
  const info = (await docker().info()) as { DockerRootDir?: string };
  const mounts = cgroupMounts(await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
  if (mounts.length === 0) return off('this machine has no cgroup file system the grader can see');

  const marker = `stagecraft-probe-${randomBytes(6).toString('hex')}.invalid`;
  const abort = new AbortController();
  const logs: string[] = [];
  let buildError = '';
  let stepStarted: number | undefined;
  const build = (async () => {
    const stream = await postBuild(
      probeContext(image, marker),
      { version: '2', networkmode: 'none', nocache: true, buildargs: { no_proxy: marker } },
      { signal: abort.signal },
    );
    abort.signal.addEventListener('abort', () => stream.destroy());
    stream.setEncoding('utf8');
    let buffered = '';
    for await (const chunk of stream) {
      buffered += chunk as string;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        const msg = JSON.parse(line) as { id?: string; aux?: string; error?: string };
        if (msg.id === 'moby.buildkit.trace' && typeof msg.aux === 'string') {
          const update = decodeTrace(msg.aux);
          logs.push(...update.logs.map((l) => l.text));
          if (update.vertexes.some((v) => v.started && v.name.includes(' RUN '))) stepStarted ??= Date.now();
        }
        if (msg.error) buildError = msg.error;
      }
    }
  })().catch((err: Error) => (buildError ||= err.message));

  try {
    let found: { pid?: number; denied: boolean } = { denied: false };
    let ended = false;
    void build.then(() => (ended = true));
    // The step runs a few milliseconds after BuildKit says it started; seconds later and
    // still not seen, it is running somewhere the grader cannot see.
    const until = Date.now() + 30_000 + unseenAfterMs;
    const unseen = () => stepStarted !== undefined && Date.now() - stepStarted > unseenAfterMs;
    while (!found.pid && !ended && !unseen() && Date.now() < until) {
      found = findMarked(marker);
      if (!found.pid) await new Promise((r) => setTimeout(r, 50));
    }
    if (!found.pid) {
      // Said as it is: not root only when the grader is not; a step never started is the build's failure; else missed.
      if (process.geteuid?.() !== 0 && found.denied) return off("the grader is not root, so it cannot see or limit the engine's build steps");
      if (stepStarted === undefined) {
        return off(
          `the probe build ${buildError ? `failed before its step ran: ${buildError.split('\n')[0]}` : `did not start its step within ${Math.round((Date.now() - (until - 30_000)) / 1000)} s`}`,
          true,
        );
      }
      const remote = process.env.DOCKER_HOST && !process.env.DOCKER_HOST.startsWith('unix://') ? ` (DOCKER_HOST=${process.env.DOCKER_HOST})` : '';
      return off(
        `the probe step was not found on this machine within ${unseenAfterMs / 1000} s of BuildKit starting it${remote}: a busy machine, or the engine's build steps run where the grader cannot see them`,
        true,
      );
    }
    const dirs: CgroupDirs = await cgroupDirsOf(found.pid, mounts);
    const { memory, pids } = dirs.controllers;
    if (!memory || !pids) return off("the engine's build steps have no memory or pids cgroup controller to limit them with");
    const leaf = path.basename(pids.dir);
    const bundle = await findBundle(found.pid, leaf, marker);
    if (!bundle) return off("the probe step's runc bundle was not found, so the grader could not tell graded steps from others");
    const wanted = { memoryBytes: (300 + Math.floor(Math.random() * 50)) * 2 ** 20, pids: 300 + Math.floor(Math.random() * 50), cpus: 1 };
    try {
      await applyLimits(dirs, wanted);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return off(
        code === 'EACCES' || code === 'EROFS' || code === 'EPERM'
          ? "the grader may not write the engine's cgroups (run it as root, on the engine's machine)"
          : `the limits could not be written: ${firstLine(err)}`,
      );
    }
    const read = await readLimits(dirs);
    const still = (await cgroupDirsOf(found.pid, mounts).catch(() => undefined))?.controllers.pids?.dir === pids.dir;
    // Through the step's own root (as the host sees it), whatever mount namespace it is in.
    await writeFile(`/proc/${found.pid}/root/${GO_AHEAD}`, '').catch(() => undefined);
    await build;
    const inside = logs
      .join('')
      .split('\n')
      .filter((l) => /^(cgroup:|sees) /.test(l))
      .join('; ');
    const seenInside = /sees \S*pids\.max=(\d+)/.exec(inside)?.[1];
    if (read.pids !== wanted.pids || read.memoryBytes !== wanted.memoryBytes || !still) {
      return off('the engine did not keep the limits put on its build step');
    }
    if (seenInside !== undefined && Number(seenInside) !== wanted.pids) {
      return off(`the engine's build step saw pids.max=${seenInside}, not the limit the grader set`);
    }
    const dataRoot =
      bundle.fsRoot + (info.DockerRootDir && existsSync(bundle.fsRoot + info.DockerRootDir) ? info.DockerRootDir : path.dirname(bundle.execRoot));
    const [prefix, suffix] = [leaf.slice(0, leaf.indexOf(bundle.id)), leaf.slice(leaf.indexOf(bundle.id) + bundle.id.length)];
    const parent = parentDirs(dirs);
    return {
      ok: true,
      ceiling: ceilingRefusal(parent),
      site: { parent, leaf: { prefix, suffix }, execRoot: bundle.execRoot, mountinfo: bundle.mountinfo, fsRoot: bundle.fsRoot, dataRoot },
      inside,
    };
  } finally {
    abort.abort();
    await build;
  }
}
