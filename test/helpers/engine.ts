import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { tempFolderMaker } from '../../graders/cleanup/temp-folder.js';
import { docker, OWNER_LABEL, requireEngine } from '../../graders/engine/docker.js';
import { graderPid, processAlive as alive } from '../../graders/cleanup/leftovers.js';
import { identityAlive } from '../../graders/cleanup/processes.js';
import { until } from './until.js';

/** Integration tests need the real engine: fail loudly (never skip) when it is not there. */
export async function engineOrFail(): Promise<void> {
  await requireEngine(10_000);
}

/** What grading may leave behind by mistake: containers, grade images, temporary folders. */
export type Leftovers = { containers: string[]; images: string[]; tempDirs: string[] };

/** Nothing left behind, as `leftBehind().added()` reports it. */
export const NOTHING_LEFT: Leftovers = { containers: [], images: [], tempDirs: [] };

/**
 * What the grader leaves behind from now on: `added()` lists what appeared since this call
 * (an earlier, killed run's leftovers, or another test file's, do not count).
 */
export async function leftBehind(): Promise<{ added(): Promise<Leftovers> }> {
  const before = await leftovers();
  return {
    async added() {
      await cleanersDone();
      const after = await leftovers();
      const added = (key: keyof Leftovers) => after[key].filter((x) => !before[key].includes(x));
      return { containers: added('containers'), images: added('images'), tempDirs: added('tempDirs') };
    },
  };
}

/**
 * Wait for the processes command-line grades handed their clean-up to (in `dir`, their
 * TMPDIR): what they still have to remove is not left behind until they have ended.
 */
export async function cleanersDone(dir = tmpdir()): Promise<void> {
  const working = async () => {
    for (const name of (await readdir(dir)).filter((n) => n.startsWith('stagecraft-cleaner-'))) {
      if (identityAlive(await readFile(path.join(dir, name), 'utf8').catch(() => ''))) return true;
    }
    return false;
  };
  await until(async () => !(await working()), 60_000, 50);
}

/**
 * Whether a grader's thing can be a leftover of this run: made by this process, or by one that
 * has ended (a command the test ran). A grade still running in another process (a second test
 * run, CI beside a developer) is that process's business, not something this test left.
 */
const leftoverOf = (pid: number | undefined) => pid === undefined || pid === process.pid || !alive(pid);

export async function leftovers(): Promise<Leftovers> {
  const containers = await docker().listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  const images = await docker().listImages({ filters: { reference: ['stagecraft-grade/*'] } });
  const tempDirs = (await readdir(tmpdir())).filter(
    (d) => (d.startsWith('stagecraft-grade-') || d.startsWith('stagecraft-batch-')) && leftoverOf(tempFolderMaker(d)),
  );
  return {
    containers: containers.filter((c) => leftoverOf(graderPid(c.Labels))).map((c) => `${c.Id.slice(0, 12)} ${c.Image}`),
    images: images.filter((i) => leftoverOf(graderPid(i.Labels))).flatMap((i) => i.RepoTags ?? [i.Id]),
    tempDirs,
  };
}

/** The names of the entries under `folder` in an image (one with no shell too): read from a container made and never started. */
export async function filesInImage(ref: string, folder: string): Promise<string[]> {
  const container = await docker().createContainer({ Image: ref, Cmd: ['none'] });
  try {
    const archive = await container.getArchive({ path: folder });
    const extract = tar.extract();
    const names: string[] = [];
    archive.pipe(extract);
    for await (const entry of extract) {
      names.push(entry.header.name);
      entry.resume();
    }
    return names;
  } finally {
    await container.remove({ force: true });
  }
}
