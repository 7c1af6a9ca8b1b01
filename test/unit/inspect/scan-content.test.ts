import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { noToolchain } from '../../../graders/checks/no-toolchain.js';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { emptyKnown, findFiles, GCC, GO_SOURCES, GO_TOOLCHAIN, JDK_TOOLS, OPAQUE_DATA, TYPESCRIPT_SOURCES } from '../../../graders/findings/index.js';
import { ContentProbe, elfBuildId, entropy, parseBuildInfo } from '../../../graders/inspect/content.js';
import { scanLayer, type FileEntry } from '../../../graders/inspect/layers.js';
import { scanSavedImage } from '../../../graders/inspect/saved-image.js';
import { scanImageInThread } from '../../../graders/inspect/scan-thread.js';
import { deflateZeros, goBuildInfo, gzipZeros, makeElf, makeZip } from '../../helpers/archives.js';
import { evidence, image, layer } from '../../helpers/evidence.js';
import { makeSavedImage, makeTar, streamOf } from '../../helpers/tar.js';

const MiB = 1024 * 1024;
const GNU_ID = Buffer.from('275ae2ee2311f2627853b467c48f7c53c0c1ec4f', 'hex');
const archives = { archives: true, needle: 'stamp-0123456789abcdef' };

describe('decompression bombs', () => {
  it('a zip whose directory says 200 MiB come from 200 kB is a bomb, named, and never inflated', async () => {
    const zip = makeZip([{ name: 'data.bin', deflated: await deflateZeros(200 * MiB), declaredSize: 200 * MiB }]);
    expect(zip.length).toBeLessThan(300_000);
    const before = process.memoryUsage().rss;
    const layer = await scanLayer(streamOf(await makeTar([{ name: 'data/assets.zip', content: zip }])), 1, archives);
    const file = layer.files.find((f) => f.path === 'data/assets.zip')!;
    expect(file.notLookedInto).toMatch(/^a decompression bomb: its member data\.bin says [\d.]+ kB unpack to 210 MB \(over 100 times as much\)$/);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB);
  });

  it('a zip member that lies about its size is inflated no further than the size it declares', async () => {
    const zip = makeZip([{ name: 'small.txt', deflated: await deflateZeros(30 * MiB), declaredSize: 100_000 }]);
    const layer = await scanLayer(streamOf(await makeTar([{ name: 'a.zip', content: zip }])), 1, archives);
    expect(layer.members.map((m) => [m.path, m.size])).toEqual([['small.txt', 100_000]]);
    expect(layer.files[0]!.notLookedInto).toBeUndefined();
  }, 30_000);

  it('a gzip bomb stops once it is 100 times its size past 64 MiB, and a bomb inside a tar names the tar', async () => {
    const bomb = await gzipZeros(256 * MiB);
    const started = Date.now();
    const plain = await scanLayer(streamOf(await makeTar([{ name: 'opt/x.gz', content: bomb }])), 1, archives);
    expect(plain.files[0]!.notLookedInto).toMatch(/^a decompression bomb: [\d.]+ (kB|MB) of it unpacked to more than 6\d\.\d MB \(over 100 times as much\)$/);
    expect(Date.now() - started).toBeLessThan(10_000); // about 64 MiB unpacked, not 256
    const outer = await makeTar([{ name: 'inner/x.gz', content: bomb }]);
    const nested = await scanLayer(streamOf(await makeTar([{ name: 'opt/outer.tar', content: outer }])), 1, archives);
    expect(nested.files[0]!.notLookedInto).toMatch(/^a decompression bomb/);
  }, 60_000);

  it('the scan runs in a worker thread: a bomb never holds the event loop', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'scan-unit-'));
    try {
      const file = path.join(dir, 'image.tar');
      const zip = makeZip([{ name: 'data.bin', deflated: await deflateZeros(50 * MiB), declaredSize: 50 * MiB }]);
      await writeFile(
        file,
        await makeSavedImage({
          layers: [
            [
              { name: 'x.gz', content: await gzipZeros(200 * MiB) },
              { name: 'data/a.zip', content: zip },
            ],
          ],
          history: [{ created_by: 'COPY x.gz /' }],
        }),
      );
      const h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
      const saved = await scanImageInThread({ file, options: archives });
      h.disable();
      expect(saved.layers[0]!.files.map((f) => [f.path, f.notLookedInto?.slice(0, 22)])).toEqual([
        ['x.gz', 'a decompression bomb: '],
        ['data/a.zip', undefined],
      ]);
      expect(saved.layers[0]!.members.map((m) => m.path)).toEqual(['x', 'data.bin']);
      expect(h.max / 1e6).toBeLessThan(250);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('what a file is, from its bytes', () => {
  const feedInPieces = (bytes: Buffer, size: number) => {
    const probe = new ContentProbe(bytes.length);
    for (let at = 0; at < bytes.length; at += size) probe.push(bytes.subarray(at, at + size));
    return probe.finish();
  };

  it("a shared library built in gcc's source package (libstdc++, libgcc_s) is not gcc; a program with the same note is", () => {
    const note = Buffer.from('xx{"type":"deb","os":"debian","name":"gcc-14","version":"14.2.0-19"}\0');
    const withType = (type: number) => {
      const elf = makeElf([{ name: 'GNU', type: 3, desc: GNU_ID }], note);
      elf.writeUInt16LE(type, 0x10);
      return elf;
    };
    expect(feedInPieces(withType(3), 64).debPackage).toBeUndefined(); // ET_DYN, no interpreter: a library
    expect(feedInPieces(withType(2), 64).debPackage).toBe('gcc-14'); // ET_EXEC: a program
  });

  it('reads the GNU build ID from the notes, and Go build information and the Debian package note wherever they are, across chunks', () => {
    const body = Buffer.concat([
      randomBytes(70_000),
      goBuildInfo('cmd/compile'),
      randomBytes(5_000),
      Buffer.from('{"type":"deb","os":"debian","name":"cpp-14-x86-64-linux-gnu","version":"14.2.0-19"}'),
    ]);
    const elf = makeElf([{ name: 'GNU', type: 3, desc: GNU_ID }], body);
    for (const size of [7, 4096, elf.length]) {
      expect(feedInPieces(elf, size)).toEqual({
        compiled: true,
        buildId: `gnu:${GNU_ID.toString('hex')}`,
        goModule: 'cmd/compile',
        debPackage: 'cpp-14-x86-64-linux-gnu',
      });
    }
    expect(elfBuildId(makeElf([{ name: 'Go', type: 4, desc: Buffer.from('abc/def') }]))).toBe('go:abc/def');
    expect(parseBuildInfo(goBuildInfo('example.com/wordsmith'))).toBe('example.com/wordsmith');
  });

  it('calls bulk compressed, encrypted or base64 data opaque, and text, code and small files not', () => {
    expect(feedInPieces(randomBytes(100_000), 65536).opaque).toBe('compressed or encrypted data');
    expect(
      feedInPieces(
        Buffer.from(
          randomBytes(300_000)
            .toString('base64')
            .replace(/(.{76})/g, '$1\n'),
        ),
        65536,
      ).opaque,
    ).toBe('base64 text');
    expect(feedInPieces(Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), randomBytes(70_000)]), 65536).opaque).toBe('xz-compressed data');
    expect(feedInPieces(Buffer.from('package main\n'.repeat(10_000)), 65536).opaque).toBeUndefined();
    expect(feedInPieces(randomBytes(60_000), 65536).opaque).toBeUndefined();
    expect(feedInPieces(Buffer.from([0x4a, 0x4d, 0x01, 0x00, 1, 2, 3]), 4).format).toBe('jmod');
  });

  it('judges a file by its first 64 kB however the stream cuts them: one piece (not copied) or many', () => {
    const random = randomBytes(100_000);
    const xz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), randomBytes(70_000)]);
    const text = Buffer.from('package main\n'.repeat(10_000));
    for (const size of [3, 7, 1000, 65_535, 65_536, 200_000]) {
      expect(feedInPieces(random, size).opaque).toBe('compressed or encrypted data');
      expect(feedInPieces(xz, size).opaque).toBe('xz-compressed data');
      expect(feedInPieces(text, size).opaque).toBeUndefined();
    }
    const elf = makeElf([{ name: 'GNU', type: 3, desc: GNU_ID }], randomBytes(70_000));
    for (const size of [5, 100, elf.length]) expect(feedInPieces(elf, size).buildId).toBe(`gnu:${GNU_ID.toString('hex')}`);
  });

  it('measures entropy in bits per byte over every byte, whatever the length', () => {
    // The plain formula, a byte at a time, to compare with.
    const reference = (bytes: Buffer) => {
      const counts = new Map<number, number>();
      for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
      let h = 0;
      for (const c of counts.values()) h -= (c / bytes.length) * Math.log2(c / bytes.length);
      return h;
    };
    expect(entropy(Buffer.from('aaaa'))).toBe(0);
    expect(entropy(Buffer.from('aabb'))).toBeCloseTo(1, 12);
    expect(entropy(Buffer.from('abc'))).toBeCloseTo(Math.log2(3), 12); // fewer than four
    expect(entropy(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))).toBeCloseTo(8, 12);
    // The last one to three bytes are counted too.
    expect(entropy(Buffer.from('aaaab'))).toBeCloseTo(reference(Buffer.from('aaaab')), 12);
    for (const length of [1, 2, 3, 5, 6, 7, 4097, 65_535, 65_536]) {
      const bytes = Buffer.from(randomBytes(length).map((b) => b & 0x3f));
      expect(entropy(bytes)).toBeCloseTo(reference(bytes), 10);
      expect(entropy(bytes.subarray(1))).toBeCloseTo(reference(bytes.subarray(1)), 10); // not at the start of its memory
    }
  });
});

describe('toolchains by what they are', () => {
  const layers = [layer(0, 100), layer(1, 100, 9)];
  const at = (p: string, facts: Partial<FileEntry>): FileEntry => ({ path: p, size: 1_200_001, type: 'file', layer: 1, ...facts });

  it("gcc's driver and cc1 renamed and padded by a byte: the driver by its build ID, cc1 by Debian's package note", async () => {
    const driver = makeElf([{ name: 'GNU', type: 3, desc: GNU_ID }], Buffer.from([0]));
    const cc1 = makeElf(
      [{ name: 'GNU', type: 3, desc: randomBytes(20) }],
      Buffer.from('xx{"type":"deb","os":"debian","name":"cpp-14-x86-64-linux-gnu","version":"14.2.0-19"}\0'),
    );
    const scanned = await scanLayer(
      streamOf(
        await makeTar([
          { name: 'opt/x/cc', content: driver },
          { name: 'opt/x/one', content: cc1 },
        ]),
      ),
      1,
      archives,
    );
    const known = emptyKnown();
    known.byBuildId.set(`gnu:${GNU_ID.toString('hex')}`, { path: 'usr/bin/x86_64-linux-gnu-gcc-14', what: 'gcc', image: 'golang:1.24-trixie' });
    const v = noToolchain({ forbidden: [GO_TOOLCHAIN, GCC, GO_SOURCES] }).evaluate(evidence({ image: image({ layers }, scanned.files), known }));
    expect(v.passed).toBe(false);
    expect(v.message).toMatch(/`\/opt\/x\/cc` is gcc's x86_64-linux-gnu-gcc-14, renamed \(\/usr\/bin\/x86_64-linux-gnu-gcc-14 in golang:1\.24-trixie/);
    expect(v.message).toMatch(
      /^found gcc: \/opt\/x\/one \(\d+ B\), recognised as part of gcc by what is inside it, not by its name, layer 2 of 2, added by `COPY --from=build \/out\/app \/app` \(Dockerfile line 9\)$/m,
    );
    // Without the index and the note, the same bytes are nothing: the test can fail.
    expect(findFiles(image({ layers }, [at('opt/x/cc', { buildId: 'gnu:00' })]), [GCC])).toEqual([]);
  });

  it("a Go program whose build information names cmd/… is Go's toolchain; the student's own program is not", () => {
    const found = findFiles(
      image({ layers }, [at('opt/c', { goModule: 'cmd/compile', compiled: true }), at('wordsmith', { goModule: 'example.com/wordsmith', compiled: true })]),
      [GO_TOOLCHAIN],
    );
    expect(found.map((f) => [f.what, f.example])).toEqual([['the Go toolchain', 'opt/c']]);
    expect(findFiles(image({ layers }, [at('x/m', { format: 'jmod' })]), [JDK_TOOLS]).map((f) => f.example)).toEqual(['x/m']);
  });

  it('opaque data is a finding from 10 MB on, in what the Dockerfile added only', () => {
    const parts = Array.from({ length: 8 }, (_, i) => at(`data/p.a${i}`, { opaque: 'compressed or encrypted data' }));
    expect(findFiles(image({ layers }, parts), [GO_TOOLCHAIN, OPAQUE_DATA])).toEqual([]);
    const more = [...parts, at('data/p.b0', { opaque: 'base64 text' })];
    const [f] = findFiles(image({ layers }, more), [GO_TOOLCHAIN, OPAQUE_DATA]);
    expect(f).toMatchObject({ what: OPAQUE_DATA.what, files: 9, bytes: 10_800_009 });
    expect(
      findFiles(
        image(
          { layers },
          more.map((p) => ({ ...p, layer: 0 })),
        ),
        [OPAQUE_DATA],
      ),
    ).toEqual([]);
  });
});

describe("a runtime package's own files", () => {
  it("Debian's nodejs's TypeScript declarations are Node.js, not the app's sources; the same file elsewhere, or without the package's list, is", async () => {
    const dts = 'declare module "fs" { export function readFileSync(path: string): string; }\n'.repeat(4);
    const list = '/.\n/usr\n/usr/share/nodejs/@types/node/fs.d.ts\n/usr/bin/node\n';
    const saved = await scanSavedImage(
      streamOf(
        await makeSavedImage({
          layers: [
            [
              { name: 'var/lib/dpkg/info/nodejs.list', content: list },
              { name: 'usr/share/nodejs/@types/node/fs.d.ts', content: dts },
            ],
            [
              { name: 'app/src/fs.d.ts', content: dts },
              { name: 'var/lib/dpkg/info/node-typescript.list', content: '/usr/share/nodejs/typescript/lib/lib.d.ts\n' },
              { name: 'usr/share/nodejs/typescript/lib/lib.d.ts', content: dts },
            ],
          ],
          history: [{ created_by: 'RUN apt-get install nodejs' }, { created_by: 'COPY . .' }],
        }),
      ),
      archives,
    );
    const files = saved.layers.flatMap((l) => l.files);
    expect(files.find((f) => f.path.endsWith('@types/node/fs.d.ts'))!.runtimePackage).toBe('nodejs');
    const found = findFiles(image({ layers: [layer(0, 1, 5, 'RUN'), layer(1, 1, 6)] }, files), [TYPESCRIPT_SOURCES]);
    // Debian's TypeScript compiler is no runtime: its files count, with the app's copy, in layer 2.
    expect(found.map((f) => [f.layer, f.files])).toEqual([[1, 2]]);
  });
});

describe('xz, zstd and bzip2 are read as gzip is', () => {
  const sample = (name: string) => readFile(path.join(REPO_ROOT, 'test', 'fixtures', 'archives', name));

  it.each(['tool.tar.xz', 'tool.tar.bz2', 'tool.tar.zst'])('%s: its members are listed and the Go compiler inside is recognised', async (name) => {
    const scanned = await scanLayer(streamOf(await makeTar([{ name: `opt/${name}`, content: await sample(name) }])), 1, archives);
    expect(scanned.files[0]).toMatchObject({ archive: name.endsWith('xz') ? 'xz' : name.endsWith('bz2') ? 'bzip2' : 'zstd' });
    expect(scanned.files[0]!.opaque).toBeUndefined();
    expect(scanned.members.map((m) => [m.path, m.inArchive, m.goModule])).toEqual([['x/c', `opt/${name}`, 'cmd/compile']]);
    const [f] = findFiles(image({ layers: [layer(0, 1), layer(1, 1, 9)] }, scanned.files), [GO_TOOLCHAIN]);
    expect(f).toBeUndefined(); // the archive itself is no toolchain: its member is
    expect(
      findFiles({ ...image({ layers: [layer(0, 1), layer(1, 1, 9)] }, scanned.files), members: scanned.members }, [GO_TOOLCHAIN]).map((g) => g.inArchive),
    ).toEqual([`opt/${name}`]);
  });

  it('an xz bomb stops as a gzip bomb does', async () => {
    const scanned = await scanLayer(streamOf(await makeTar([{ name: 'opt/z.xz', content: await sample('zeros.xz') }])), 1, archives);
    expect(scanned.files[0]!.notLookedInto).toMatch(/^a decompression bomb: /);
  }, 60_000);
});
