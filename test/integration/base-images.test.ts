import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GenericContainer, Wait } from 'testcontainers';
import { docker, OWNER_LABEL, removeImage } from '../../graders/engine/docker.js';
import { CATALOGUE, STAND_IN_LABEL } from '../../graders/images/catalogue.js';
import { inspectImage } from '../../graders/inspect/image.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { findLab } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { engineOrFail } from '../helpers/engine.js';

/** Run a command in a known image (with testcontainers) and return what it printed; it must exit 0. */
async function output(image: string, cmd: string[]): Promise<string> {
  const started = await new GenericContainer(image)
    .withCommand(cmd)
    .withLabels({ [OWNER_LABEL]: 'stagecraft' })
    .withWaitStrategy(Wait.forOneShotStartup().withStartupTimeout(60_000)) // fails unless it exits 0
    .start();
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = '';
      void started.logs().then((s) =>
        s
          .on('data', (d: string) => (text += d))
          .on('end', () => resolve(text))
          .on('error', reject),
      );
    });
  } finally {
    await started.stop({ remove: true });
  }
}

async function labels(ref: string): Promise<Record<string, string>> {
  return (await docker().getImage(ref).inspect()).Config?.Labels ?? {};
}

beforeAll(engineOrFail);

describe('the base-image catalogue on this machine', () => {
  it.each(CATALOGUE)('$ref is here; a stand-in is labelled and within 25 percent of the upstream size', async (img) => {
    const ref = img.ref;
    const info = await docker().getImage(ref).inspect();
    if (info.Config?.Labels?.[STAND_IN_LABEL]) {
      // The size a grade measures (by id: a name without a tag would save every tag); the
      // containerd image store's own figure is the compressed content's.
      const size = info.Descriptor ? (await inspectImage(info.Id, undefined, Number.POSITIVE_INFINITY)).size : info.Size;
      expect(info.Config.Labels[STAND_IN_LABEL]).toBe(ref);
      // Within a quarter of upstream, or 1.5 MB for the smallest images: static's :debug
      // stand-in carries Debian's busybox-static (2 MB) where upstream's musl busybox is ~1 MB.
      const slack = Math.max(0.25 * img.upstreamBytes, 1_500_000);
      expect(Math.abs(size - img.upstreamBytes), `${ref}: ${size} bytes, upstream ${img.upstreamBytes}`).toBeLessThan(slack);
    }
  });

  it('every stand-in here is what its recipe makes on the base images here, on this engine too (a kit loaded from another engine included)', async () => {
    const { staleStandIns } = await import('../../graders/standins/provision.js');
    expect([...(await staleStandIns())]).toEqual([]);
  });

  it('the golang image has gcc and builds with cgo on by default, like upstream', async () => {
    const text = await output('golang:1.24-trixie', ['sh', '-c', 'go version && go env CGO_ENABLED && gcc --version | head -1']);
    expect(text).toMatch(/go version go1\.24\.\d+ linux/);
    expect(text.split(/\r?\n/)[1]).toBe('1');
    expect(text).toMatch(/gcc/);
  });

  it('distroless static has CA certificates, time zones and the nonroot user, and no shell or libc', async () => {
    const tar = await docker().getImage('gcr.io/distroless/static-debian13').get();
    const { scanSavedImage } = await import('../../graders/inspect/saved-image.js');
    const paths = new Set((await scanSavedImage(tar as never)).layers.flatMap((l) => l.files.map((f) => f.path)));
    for (const p of ['etc/ssl/certs/ca-certificates.crt', 'usr/share/zoneinfo/Europe/Paris', 'etc/passwd', 'home/nonroot', 'tmp']) expect(paths).toContain(p);
    for (const p of ['bin/sh', 'usr/bin/sh', 'usr/lib/x86_64-linux-gnu/libc.so.6']) expect(paths).not.toContain(p);
  });
});

// A leaf of the catalogue: no other stand-in is built on it, so none is left stale by its rebuild.
const ref = 'gcr.io/distroless/static-debian13:nonroot';
// Only ever remove a stand-in: an upstream image someone pulled stays (and the test is reported skipped).
const isStandIn = await engineOrFail()
  .then(() => labels(ref))
  .then((l) => Boolean(l[STAND_IN_LABEL]));

describe('a grade on a machine that lacks a catalogue base image', () => {
  it.runIf(isStandIn)('provides the image first (a stand-in here, with no registry), then grades', async () => {
    await removeImage(ref);
    const lab = await findLab('lab1');
    const result = await grade(lab, { dockerfile: { kind: 'path', path: path.join(REPO_ROOT, 'test/fixtures/lab1-go/distroless-nonroot.Dockerfile') } });
    expect(result.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    expect((await labels(ref))[STAND_IN_LABEL]).toBe(ref);
  });
});
