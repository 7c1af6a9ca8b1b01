import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import unbzip2Stream from 'unbzip2-stream';
import xzDecompress from 'xz-decompress';

// A CommonJS bundle: its exports are one object under Node's ESM.
const { XzReadableStream } = xzDecompress;

/** Compressed formats the scan unpacks as it reads them, as it does gzip. */
export type CompressedKind = 'gzip' | 'xz' | 'zstd' | 'bzip2';

const MAGIC: [CompressedKind, Buffer][] = [
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['bzip2', Buffer.from('BZh', 'latin1')],
];

export function compressedKind(head: Buffer): CompressedKind | undefined {
  return MAGIC.find(([, m]) => head.length >= m.length && head.subarray(0, m.length).equals(m))?.[0];
}

/** The file extension a compressed file's one member drops: `notes.txt.xz` holds `notes.txt`. */
export const EXTENSION: Record<CompressedKind, RegExp> = { gzip: /\.(gz|tgz)$/i, xz: /\.(xz|txz)$/i, zstd: /\.(zst|zstd)$/i, bzip2: /\.(bz2|tbz2?)$/i };

/** zstd through fzstd (pure JavaScript), pushed a chunk at a time. */
async function* unzstd(source: Readable): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  const d = new ZstdDecompress((chunk) => out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  for await (const chunk of source) {
    d.push(chunk as Buffer);
    while (out.length) yield out.shift()!;
  }
  d.push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}

/**
 * The uncompressed bytes of a compressed stream, as they are read (never the whole of it
 * at once): gzip by Node's zlib, xz by xz-decompress (WebAssembly), zstd by fzstd and
 * bzip2 by unbzip2-stream (pure JavaScript). Errors arrive on the returned stream.
 */
export function decompress(kind: CompressedKind, source: Readable): Readable {
  if (kind === 'gzip') {
    const gunzip = createGunzip();
    source.on('error', (err) => gunzip.destroy(err));
    return source.pipe(gunzip);
  }
  if (kind === 'xz') {
    const web = new XzReadableStream(Readable.toWeb(source) as ReadableStream<Uint8Array>);
    return Readable.fromWeb(web as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  if (kind === 'zstd') return Readable.from(unzstd(source), { objectMode: false });
  const bz = unbzip2Stream();
  // The reader's pace: bzip2's blocks (at most 900 kB) wait while it has not taken the last ones.
  const out = new Readable({ read: () => bz.resume() });
  bz.on('data', (c: Buffer) => {
    if (!out.push(c)) bz.pause();
  });
  bz.on('end', () => out.push(null));
  bz.on('error', (err: Error) => out.destroy(err));
  source.on('error', (err) => out.destroy(err));
  source.pipe(bz as unknown as NodeJS.WritableStream);
  return out;
}
