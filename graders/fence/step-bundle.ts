import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { unescapeMount } from './cgroups.js';

/**
 * BuildKit runs each RUN step with runc from a bundle, `<exec root>/<step id>/config.json`
 * (an OCI runtime spec), written before the step's cgroup exists. It tells the fence which
 * grade a step belongs to (the grade's marker in the step's environment) and where on the
 * host the step writes.
 */
export interface StepBundle {
  /**
   * Every `no_proxy`/`NO_PROXY` value in the step's environment, joined: the grader puts each
   * grade's marker there (build.ts). BuildKit appends it after any the Dockerfile sets with
   * ENV, so a Dockerfile can add values but never hide the marker.
   */
  noProxy: string;
  /** The command, as runc starts it: `/bin/sh -c go build .`. */
  command: string;
  /** The step's root file system, mounted on the host. */
  rootfs: string;
  /** Folders the step may write, on the host (cache mounts, bind mounts that are not read-only). */
  writableMounts: string[];
}

interface OciSpec {
  process?: { args?: string[]; env?: string[] };
  root?: { path?: string };
  mounts?: { destination?: string; type?: string; source?: string; options?: string[] }[];
}

/**
 * Read a step's bundle; undefined when it is not there (not a BuildKit step, or already gone). Its
 * paths are the engine's; `fsRoot` is where the engine's files are read from here.
 */
export async function readStepBundle(execRoot: string, id: string, fsRoot = ''): Promise<StepBundle | undefined> {
  let spec: OciSpec;
  try {
    spec = JSON.parse(await readFile(path.join(fsRoot + execRoot, id, 'config.json'), 'utf8')) as OciSpec;
  } catch {
    return undefined;
  }
  const env = spec.process?.env ?? [];
  const noProxy = env
    .filter((e) => /^no_proxy=/i.test(e))
    .map((e) => e.slice('no_proxy='.length))
    .join(',');
  const args = spec.process?.args ?? [];
  const rootfs = path.resolve(path.join(execRoot, id), spec.root?.path ?? 'rootfs');
  const writableMounts = (spec.mounts ?? []).filter((m) => m.type === 'bind' && m.source && !(m.options ?? []).includes('ro')).map((m) => m.source!);
  return { noProxy, command: args.join(' '), rootfs, writableMounts };
}

/** The folder that receives writes to a mount point: an overlay's upper folder, or the folder itself. */
export function writableFolder(mountinfo: string, mountPoint: string): string {
  let found = mountPoint;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    if (unescapeMount(left.split(' ')[4] ?? '') !== mountPoint) continue;
    const [fstype, , options = ''] = right.split(' ');
    const upper = fstype === 'overlay' ? options.split(',').find((o) => o.startsWith('upperdir=')) : undefined;
    // The last mount at a point is the one in effect.
    found = upper ? unescapeMount(upper.slice('upperdir='.length)) : mountPoint;
  }
  return found;
}
