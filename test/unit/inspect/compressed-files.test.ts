import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { HEAD_BYTES } from '../../../graders/inspect/content.js';
import type * as Decompress from '../../../graders/inspect/decompress.js';
import { scanLayer } from '../../../graders/inspect/layers.js';
import { goBuildInfo, makeElf, makeZip } from '../../helpers/archives.js';
import { makeTar, streamOf } from '../../helpers/tar.js';

// Every byte the scan takes out of a decompressor, and every byte it only has counted.
const taken = vi.hoisted(() => ({ read: 0, skipped: 0 }));
vi.mock('../../../graders/inspect/decompress.js', async (importOriginal) => {
  const real = await importOriginal<typeof Decompress>();
  return {
    ...real,
    decompress: (...args: Parameters<typeof real.decompress>) => {
      const d = real.decompress(...args);
      return {
        read: async () => {
          const chunk = await d.read();
          taken.read += chunk?.length ?? 0;
          return chunk;
        },
        skip: (count: (bytes: number) => void) => d.skip((n) => ((taken.skipped += n), count(n))),
      };
    },
  };
});

const MiB = 1024 * 1024;
const sample = (name: string) => readFile(path.join(REPO_ROOT, 'test', 'fixtures', 'archives', name));
/** 8 MB of text, as a log or a test data file is. */
const text = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `line ${i}: nothing here but words\n`).join(''));
const scanOne = async (name: string, content: Buffer, opts: object = { archives: true }) => scanLayer(streamOf(await makeTar([{ name, content }])), 1, opts);

beforeEach(() => {
  taken.read = 0;
  taken.skipped = 0;
});

describe('a compressed file of one plain file', () => {
  it.each([
    ['gzip', 'opt/notes.txt.gz', () => gzipSync(text), text.length],
    ['bzip2', 'opt/mixed.bz2', () => sample('mixed.bz2'), 587_080],
  ])('%s: decompressed no further than what says what it is; the rest only counted', async (_, name, make, size) => {
    const scanned = await scanOne(name, await make());
    expect(scanned.members.map((m) => [m.path, m.size, m.inArchive])).toEqual([[path.basename(name).replace(/\.(gz|bz2)$/, ''), -1, name]]);
    expect(scanned.files[0]).toMatchObject({ archive: name.endsWith('gz') ? 'gzip' : 'bzip2' });
    expect(taken.read).toBeGreaterThanOrEqual(HEAD_BYTES);
    expect(taken.read).toBeLessThanOrEqual(HEAD_BYTES + 64 * 1024);
    expect(taken.read + taken.skipped).toBe(size);
  });

  it('is read whole when something wants all its bytes: the grade’s stamp', async () => {
    const stamp = 'stamp-0123456789abcdef';
    const scanned = await scanOne('opt/notes.txt.gz', gzipSync(Buffer.concat([text, Buffer.from(stamp)])), { archives: true, needle: stamp });
    expect(scanned.members[0]!.needle).toBe('inside');
    expect(taken.skipped).toBe(0);
  });

  it('is read whole when it is a program: Go’s build information lies anywhere in it', async () => {
    const compiler = makeElf([], Buffer.concat([Buffer.alloc(3 * HEAD_BYTES, 0x90), goBuildInfo('cmd/compile')]));
    const scanned = await scanOne('opt/c.gz', gzipSync(compiler));
    expect(scanned.members.map((m) => [m.path, m.goModule])).toEqual([['c', 'cmd/compile']]);
    expect(taken.read).toBe(compiler.length);
  });

  it('is still a decompression bomb when it is one: 256 MiB of zeros from 208 bytes of bzip2, counted, never produced', async () => {
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const scanned = await scanOne('opt/zeros.bz2', await sample('zeros.bz2'));
    expect(scanned.files[0]!.notLookedInto).toMatch(/^a decompression bomb: 208 B of it unpacked to more than [\d.]+ MB \(over 100 times as much\)$/);
    expect(taken.read).toBe(HEAD_BYTES);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB);
  });
});

describe('what a file is, whatever pieces the stream cuts it in', () => {
  it('a tar in gzip and a zip are looked into when their layer comes a byte at a time', async () => {
    const inner = gzipSync(await makeTar([{ name: 'go/bin/go', content: 'x' }]));
    const zip = makeZip([{ name: 'lib/tool.jar', deflated: deflateRawSync(Buffer.from('y')), declaredSize: 1 }]);
    const layer = await makeTar([
      { name: 'opt/go.tgz', content: inner },
      { name: 'opt/a.zip', content: zip },
    ]);
    // Each byte handed over on its own turn of the event loop: the parser passes it on as it comes.
    async function* byteByByte() {
      for (const b of layer) {
        await new Promise((r) => setImmediate(r));
        yield Buffer.from([b]);
      }
    }
    const scanned = await scanLayer(Readable.from(byteByByte(), { objectMode: false }), 1, { archives: true });
    expect(scanned.files.map((f) => [f.path, f.archive])).toEqual([
      ['opt/go.tgz', 'gzip'],
      ['opt/a.zip', 'zip'],
    ]);
    expect(scanned.members.map((m) => [m.path, m.inArchive])).toEqual([
      ['go/bin/go', 'opt/go.tgz'],
      ['lib/tool.jar', 'opt/a.zip'],
    ]);
  });
});
