import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { Bunzip2, Bzip2Error, SLICE } from '../../../graders/inspect/bunzip2.js';

const sample = (name: string) => readFile(path.join(REPO_ROOT, 'test', 'fixtures', 'archives', name));
/** The bytes in pieces of `size` (a stream cuts blocks anywhere). */
const pieces = (bytes: Buffer, size: number) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));

// What the system's bzip2 gives for mixed.bz2 (test/fixtures/archives/README.md).
const MIXED = { bytes: 587_080, sha256: '1b99f9d6ec7d0f6cc46e189c5bdfabe27775859ed3c3b9fb8d67532009cb2c45' };

async function decodeAll(bz: Bunzip2): Promise<{ bytes: number; sha256: string; largest: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let largest = 0;
  for await (const slice of bz) {
    hash.update(slice);
    bytes += slice.length;
    largest = Math.max(largest, slice.length);
  }
  return { bytes, sha256: hash.digest('hex'), largest };
}

async function skipAll(bz: Bunzip2): Promise<number> {
  let counted = 0;
  await bz.skip((n) => (counted += n));
  return counted;
}

describe('bzip2, decoded as it is read', () => {
  it('gives what bzip2 gives: blocks of runs around the run-length step, words and random bytes, two streams one after the other', async () => {
    const bytes = await sample('mixed.bz2');
    expect(await decodeAll(new Bunzip2(Readable.from([bytes])))).toMatchObject(MIXED);
    // Blocks arrive in pieces: a block is decoded once it is all there.
    expect(await decodeAll(new Bunzip2(pieces(bytes, 997)))).toMatchObject(MIXED);
  });

  it('counts what it skips exactly, from the start or from inside a block, without producing it', async () => {
    const bytes = await sample('mixed.bz2');
    const fromStart = new Bunzip2(pieces(bytes, 4096));
    expect(await skipAll(fromStart)).toBe(MIXED.bytes);
    expect(fromStart.produced).toBe(0);

    const afterOne = new Bunzip2(Readable.from([bytes]));
    const first = (await afterOne.read())!;
    expect(first.length).toBe(SLICE);
    expect((await skipAll(afterOne)) + first.length).toBe(MIXED.bytes);
    expect(afterOne.produced).toBe(SLICE);

    // From inside a later block: its rest is the block's count less what it gave, not less all that was read.
    for (const slices of [2, 5, 8]) {
      const later = new Bunzip2(pieces(bytes, 4096));
      let read = 0;
      for (let i = 0; i < slices; i++) read += (await later.read())!.length; // a block's last slice may be short
      expect(read).toBeGreaterThan((slices - 1) * SLICE);
      expect((await skipAll(later)) + read).toBe(MIXED.bytes);
    }
  });

  it('hands 256 MiB of zeros (208 bytes of bzip2) out a slice at a time, and counts them in no time', async () => {
    const bytes = await sample('zeros.bz2');
    expect(bytes.length).toBeLessThan(256);
    const bz = new Bunzip2(Readable.from([bytes]));
    const head = await bz.read();
    expect(head!.length).toBe(SLICE);
    expect(head!.every((b) => b === 0)).toBe(true);
    const started = Date.now();
    expect((await skipAll(bz)) + SLICE).toBe(256 * 1024 * 1024);
    expect(bz.produced).toBe(SLICE);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses what is not bzip2, damaged, cut short or followed by something else', async () => {
    const bytes = await sample('mixed.bz2');
    const damaged = Buffer.from(bytes);
    damaged[5_000] = damaged[5_000]! ^ 0x55;
    const cases: Buffer[] = [Buffer.from('BZh0 not really'), damaged, bytes.subarray(0, bytes.length - 100), Buffer.concat([bytes, Buffer.from('trailing')])];
    for (const input of cases) await expect(decodeAll(new Bunzip2(Readable.from([input])))).rejects.toBeInstanceOf(Bzip2Error);
    // Skipping does not check the sums (they need the bytes), but what is cut short stays cut short.
    await expect(skipAll(new Bunzip2(Readable.from([bytes.subarray(0, bytes.length - 100)])))).rejects.toBeInstanceOf(Bzip2Error);
  });
});
