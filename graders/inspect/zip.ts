import { inflateRawSync } from 'node:zlib';

/** One entry of a zip's central directory, with a way to read its bytes. */
export interface ZipMember {
  name: string;
  /** Uncompressed size, as the directory records it. */
  size: number;
  directory: boolean;
  read(): Buffer;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

/**
 * The members of a zip (a jar, a wheel) held whole in memory, read from its central
 * directory. Enough of the format for looking into archives: stored and deflated members,
 * no zip64, no encryption (such members are listed but read as empty).
 */
export function readZipMembers(zip: Buffer): ZipMember[] {
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
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    members.push({
      name,
      size,
      directory: name.endsWith('/'),
      read() {
        if (flags & 1 || local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL_HEADER) return Buffer.alloc(0);
        const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
        const data = zip.subarray(start, start + compressed);
        if (method === 0) return data;
        if (method === 8) return inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
        return Buffer.alloc(0);
      },
    });
  }
  return members;
}
