import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { docker, OWNER_LABEL, requireEngine } from '../../graders/engine/docker.js';

/** Integration tests need the real engine: fail loudly (never skip) when it is not there. */
export async function engineOrFail(): Promise<void> {
  await requireEngine(10_000);
}

/** What grading may leave behind by mistake: containers, grade images, temporary folders. */
export async function leftovers(): Promise<{ containers: string[]; images: string[]; tempDirs: string[] }> {
  const containers = await docker().listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  const images = await docker().listImages({ filters: { reference: ['stagecraft-grade/*'] } });
  const tempDirs = (await readdir(tmpdir())).filter((d) => d.startsWith('stagecraft-grade-') || d.startsWith('stagecraft-batch-'));
  return {
    containers: containers.map((c) => `${c.Id.slice(0, 12)} ${c.Image}`),
    images: images.flatMap((i) => i.RepoTags ?? [i.Id]),
    tempDirs,
  };
}
