import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradeBuilds } from '../../graders/buildkit/grade-builds.js';
import { docker, removeImage, usesContainerdStore } from '../../graders/engine/docker.js';
import { engineOrFail } from '../helpers/engine.js';

const BASE = 'debian:trixie-slim';
/** 4 MB of zeros: gzip makes a few kilobytes of them. */
const ZEROS = 4_000_000;

let dir: string;
const tags: string[] = [];
beforeAll(async () => {
  await engineOrFail();
  dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-grade-builds-'));
});
afterAll(async () => {
  await Promise.all(tags.map((t) => removeImage(t)));
  await rm(dir, { recursive: true, force: true });
});

/** What the engine stores for the image beyond its base: the new layer as kept on disk (compressed or not, on the containerd store). */
async function storedBeyondBase(throwaway: boolean): Promise<number> {
  const tag = `stagecraft-test/grade-builds:${randomBytes(4).toString('hex')}`;
  tags.push(tag);
  // A RUN of its own each time (it names its tag): never a cached layer.
  await writeFile(path.join(dir, 'Dockerfile'), `FROM ${BASE}\nRUN head -c ${ZEROS} /dev/zero > /zeros && echo ${tag} > /tag\n`);
  const built = await GradeBuilds.once({ network: 'none', throwaway }, dir, tag);
  expect(built.ok, built.error).toBe(true);
  const [image, base] = await Promise.all([docker().getImage(tag).inspect(), docker().getImage(BASE).inspect()]);
  return image.Size - base.Size;
}

describe("a grade's builds", () => {
  it('store the layers of an image removed after the grade uncompressed; a kept image (--keep-image, a lab seed) as the engine always does', async () => {
    const containerd = await usesContainerdStore();
    // The classic store keeps every layer unpacked anyway; the containerd store gzips a layer unless told not to.
    expect(await storedBeyondBase(true)).toBeGreaterThanOrEqual(ZEROS);
    const kept = await storedBeyondBase(false);
    if (containerd) expect(kept).toBeLessThan(ZEROS / 10);
    else expect(kept).toBeGreaterThanOrEqual(ZEROS);
  }, 120_000);
});
