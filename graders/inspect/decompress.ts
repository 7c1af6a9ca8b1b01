import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import xzDecompress from 'xz-decompress';
import { Bunzip2 } from './bunzip2.js';

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

/** A compressed stream being read: its bytes in order, or the rest of them only counted. */
export interface Decompression {
  /** The next uncompressed chunk (never empty), undefined at the end. Errors are thrown here. */
  read(): Promise<Buffer | undefined>;
  /**
   * Read the rest only to count it: `count` is told the uncompressed bytes as they come
   * (and may throw to stop). bzip2's are counted without being produced, its slowest part.
   */
  skip(count: (bytes: number) => void): Promise<void>;
}

/** The chunks of a stream, pulled one at a time (so that what was not pulled is still there to skip). */
function pulled(stream: AsyncIterable<unknown>): Decompression {
  const it = stream[Symbol.asyncIterator]();
  const read = async (): Promise<Buffer | undefined> => {
    for (;;) {
      const next = await it.next();
      if (next.done) return undefined;
      if ((next.value as Buffer).length) return next.value as Buffer;
    }
  };
  return {
    read,
    async skip(count) {
      for (let chunk = await read(); chunk; chunk = await read()) count(chunk.length);
    },
  };
}

/**
 * The uncompressed bytes of a compressed stream, as they are read (never the whole of it
 * at once): gzip by Node's zlib, xz by xz-decompress (WebAssembly), zstd by fzstd and
 * bzip2 by ./bunzip2.ts (both pure JavaScript).
 */
export function decompress(kind: CompressedKind, source: Readable): Decompression {
  if (kind === 'gzip') {
    const gunzip = createGunzip();
    source.on('error', (err) => gunzip.destroy(err));
    return pulled(source.pipe(gunzip));
  }
  if (kind === 'xz') {
    const web = new XzReadableStream(Readable.toWeb(source) as ReadableStream<Uint8Array>);
    return pulled(Readable.fromWeb(web as import('node:stream/web').ReadableStream<Uint8Array>));
  }
  if (kind === 'zstd') return pulled(unzstd(source));
  const bz = new Bunzip2(source);
  return { read: () => bz.read(), skip: (count) => bz.skip(count) };
}
