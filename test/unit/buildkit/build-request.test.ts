import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEngine } from '../../helpers/fake-engine.js';

// This file's worker talks to a fake engine on a socket of its own: what a build asks of it is recorded.
const engine = fakeEngine('build');
const { buildImage } = await import('../../../graders/buildkit/build.js');
const { usesContainerdStore } = await import('../../../graders/engine/docker.js');

const asked: { method: string; url: URL; files: string[] }[] = [];
const context = path.join(engine.dir, 'context');

/** The names in a tar body. */
async function tarNames(body: Buffer): Promise<string[]> {
  const names: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    names.push(header.name);
    stream.on('end', next).resume();
  });
  await new Promise<void>((resolve, reject) =>
    extract
      .on('finish', () => resolve())
      .on('error', reject)
      .end(body),
  );
  return names;
}

beforeAll(async () => {
  mkdirSync(context);
  writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\nCOPY app /app\n');
  writeFileSync(path.join(context, 'app'), 'hello\n');
  await engine.start((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://engine');
      const body = Buffer.concat(chunks);
      asked.push({ method: req.method ?? '', url, files: req.method === 'POST' && url.pathname.endsWith('/build') ? await tarNames(body) : [] });
      res.setHeader('content-type', 'application/json');
      if (url.pathname.endsWith('/info'))
        return res.end(JSON.stringify({ Driver: 'overlayfs', DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']] }));
      if (url.pathname.endsWith('/build')) return res.end(`${JSON.stringify({ id: 'moby.image.id', aux: { ID: 'sha256:0123456789abcdef' } })}\n`);
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'not here' }));
    });
  });
});
afterAll(() => engine.stop());

describe('a build, as the engine is asked for it', () => {
  it('is one POST /build with the context as its tar body: no BuildKit session is opened first', async () => {
    asked.length = 0;
    const built = await buildImage({ contextDir: context, tag: 'stagecraft-test/build:1', timeoutMs: 10_000 });
    expect(built.ok, built.error).toBe(true);
    expect(built.imageId).toBe('sha256:0123456789abcdef');
    expect(asked.map((a) => `${a.method} ${a.url.pathname}`)).toEqual(['POST /build']);
    const [build] = asked;
    expect(build!.files.sort()).toEqual(['Dockerfile', 'app']);
    expect(build!.url.searchParams.get('version')).toBe('2');
    expect(build!.url.searchParams.get('t')).toBe('stagecraft-test/build:1');
    expect(build!.url.searchParams.has('session')).toBe(false);
    expect(build!.url.searchParams.has('outputs')).toBe(false);
  });

  it('asks for uncompressed layers when told to (an image removed after the grade)', async () => {
    asked.length = 0;
    await buildImage({ contextDir: context, tag: 'stagecraft-test/build:2', timeoutMs: 10_000, uncompressedLayers: true });
    expect(JSON.parse(asked[0]!.url.searchParams.get('outputs') ?? 'null')).toEqual([{ Type: 'moby', Attrs: { compression: 'uncompressed' } }]);
  });

  it('opens a BuildKit session first when the build pulls an image: BuildKit asks the registry for credentials through it', async () => {
    asked.length = 0;
    await buildImage({ contextDir: context, tag: 'stagecraft-test/build:3', timeoutMs: 10_000, pullsImages: true });
    expect(asked[0]).toMatchObject({ method: 'POST', url: expect.objectContaining({ pathname: expect.stringMatching(/\/session$/) }) });
  });

  it("knows the containerd image store from the engine's driver type, and asks once", async () => {
    asked.length = 0;
    expect(await usesContainerdStore()).toBe(true);
    expect(await usesContainerdStore()).toBe(true);
    expect(asked.map((a) => a.url.pathname.replace(/^\/v[\d.]+/, ''))).toEqual(['/info']);
  });

  it('a build the engine refuses before it reads the context leaves no reader behind: the folder can go at once', async () => {
    for (let round = 0; round < 20; round++) {
      const dir = path.join(engine.dir, `refused-${round}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
      for (let i = 0; i < 300; i++) writeFileSync(path.join(dir, `f${i}`), 'x'.repeat(100));
      const built = await buildImage({ contextDir: dir, tag: 'stagecraft-test/build:4', timeoutMs: 10_000, pullsImages: true });
      expect(built.ok).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    }
    await new Promise((r) => setTimeout(r, 300)); // a reader still at work now meets files that have gone
    // The builds take milliseconds; writing and removing 6,000 files on a shared disk took up to 5 s in CI.
  }, 60_000);
});
