import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../graders/buildkit/build.js';
import { docker, OWNER_LABEL, removeImage } from '../../graders/engine/docker.js';
import { loadImages, saveImages } from '../../scripts/images/archive.js';
import { engineOrFail } from '../helpers/engine.js';

const name = `stagecraft-test-archive/kit:${process.pid}`;
const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-archive-'));
const made: string[] = [];

/** A one-file image under `name`, its content `text`: its id. */
async function image(text: string): Promise<string> {
  await writeFile(path.join(dir, 'Dockerfile'), `FROM scratch\nCOPY note /note\n`);
  await writeFile(path.join(dir, 'note'), text);
  const built = await buildImage({ contextDir: dir, tag: name, labels: { [OWNER_LABEL]: 'stagecraft' }, timeoutMs: 120_000 });
  expect(built.ok, built.ok ? '' : built.error).toBe(true);
  const id = (await docker().getImage(name).inspect()).Id;
  made.push(id);
  return id;
}

afterAll(async () => {
  for (const id of made) await removeImage(id);
  await rm(dir, { recursive: true, force: true });
});

describe('a kit of images, saved and loaded again', () => {
  it('gives the names the saved images, and the images they had before go (no nameless rows left)', async () => {
    await engineOrFail();
    const saved = await image('the kit');
    const kit = path.join(dir, 'kit.tar');
    await saveImages([name], kit);
    const before = await image('a later build under the same name');
    expect(before).not.toBe(saved);

    await loadImages(kit, [name]);
    expect((await docker().getImage(name).inspect()).Id).toBe(saved);
    const gone = await docker()
      .getImage(before)
      .inspect()
      .then(() => false)
      .catch(() => true);
    expect(gone, 'the image the name had before the load').toBe(true);
  });
});
