import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

/** One entry of a zip's central directory. */
export interface ZipMember {
  name: string;
  /** Uncompressed size, as the directory records it (a bomb may lie: the inflater enforces it). */
  size: number;
  /** Compressed size, as the directory records it. */
  compressedSize: number;
  directory: boolean;
  /** Stored (0) or deflated (8): the only methods read; others are listed but never inflated. */
  method: number;
  encrypted: boolean;
  /** Where the member's local header is. */
  localOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

/**
 * The members of a zip (a jar, a wheel) held whole in memory, read from its central
 * directory. Enough of the format for looking into archives: stored and deflated members,
 * no zip64, no encryption (such members are listed but never read).
 */
export function readZipDirectory(zip: Buffer): ZipMember[] {
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('no zip directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const members: ZipMember[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== DIRECTORY_ENTRY) throw new Error('a broken zip directory');
    const flags = zip.readUInt16LE(at + 8);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    members.push({
      name,
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      directory: name.endsWith('/'),
      encrypted: Boolean(flags & 1),
      localOffset: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return members;
}

/** A member's bytes could not be had: not a zip this reader reads (the member is then skipped). */
export class UnreadableMember extends Error {}

/**
 * A member's uncompressed bytes as a stream of chunks, inflated as they are read (never the
 * whole member at once): a reader that stops early inflates no further. Never yields more
 * than the directory's size for it, so a member that lies about its size cannot grow past it.
 */
export function openZipMember(zip: Buffer, m: ZipMember): Readable {
  const local = m.localOffset;
  if (m.encrypted || (m.method !== 0 && m.method !== 8) || local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL_HEADER) {
    throw new UnreadableMember(`a member stored in a way the grader does not read (${m.encrypted ? 'encrypted' : `method ${m.method}`})`);
  }
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const data = zip.subarray(start, Math.min(zip.length, start + m.compressedSize));
  if (m.method === 0) return Readable.from(chunks(data.subarray(0, m.size)), { objectMode: false });
  return Readable.from(inflated(data, m.size), { objectMode: false });
}

/** Inflate as the reader asks (a for-await loop reads on demand), never past `size` bytes. */
async function* inflated(data: Buffer, size: number): AsyncGenerator<Buffer> {
  const inflate = createInflateRaw();
  inflate.end(data);
  let produced = 0;
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      const room = size - produced;
      produced += chunk.length;
      yield room < chunk.length ? chunk.subarray(0, room) : chunk;
      if (produced >= size) return;
    }
  } finally {
    inflate.destroy();
  }
}

function* chunks(data: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}
