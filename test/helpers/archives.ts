import { createDeflateRaw, createGzip } from 'node:zlib';

/** `n` zero bytes, compressed as they are made (never held whole): what a bomb is made of. */
export async function compressedZeros(n: number, make: () => NodeJS.ReadWriteStream): Promise<Buffer> {
  const z = make();
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => z.on('end', r));
  const block = Buffer.alloc(1 << 20);
  for (let left = n; left > 0; left -= block.length) {
    if (!z.write(left >= block.length ? block : block.subarray(0, left))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return Buffer.concat(out);
}

export const gzipZeros = (n: number) => compressedZeros(n, () => createGzip());

export interface ZipItem {
  name: string;
  /** The deflated bytes, and the size the directory declares (which may lie). */
  deflated: Buffer;
  declaredSize: number;
}

/** A zip of deflated members (CRC left 0: the scan does not check it). */
export function makeZip(items: ZipItem[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const item of items) {
    const name = Buffer.from(item.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(item.deflated.length, 18);
    local.writeUInt32LE(item.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt32LE(item.deflated.length, 20);
    dir.writeUInt32LE(item.declaredSize, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, item.deflated);
    central.push(dir, name);
    offset += 30 + name.length + item.deflated.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(items.length, 8);
  end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

export const deflateZeros = (n: number) => compressedZeros(n, () => createDeflateRaw());

/**
 * A minimal 64-bit little-endian ELF: the header, one PT_NOTE program header over the
 * given notes, then `body` (where Go's build information or a package note would lie).
 */
export function makeElf(notes: { name: string; type: number; desc: Buffer }[], body: Buffer = Buffer.alloc(0)): Buffer {
  const align = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const noteBytes = Buffer.concat(
    notes.map((n) => {
      const head = Buffer.alloc(12);
      const name = Buffer.from(`${n.name}\0`, 'latin1');
      head.writeUInt32LE(name.length, 0);
      head.writeUInt32LE(n.desc.length, 4);
      head.writeUInt32LE(n.type, 8);
      return Buffer.concat([head, align(name), align(n.desc)]);
    }),
  );
  const header = Buffer.alloc(64);
  header.write('\x7fELF', 0, 'latin1');
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header[6] = 1;
  header.writeBigUInt64LE(64n, 0x20); // program headers right after the header
  header.writeUInt16LE(56, 0x36);
  header.writeUInt16LE(1, 0x38);
  const ph = Buffer.alloc(56);
  ph.writeUInt32LE(4, 0); // PT_NOTE
  ph.writeBigUInt64LE(120n, 0x08);
  ph.writeBigUInt64LE(BigInt(noteBytes.length), 0x20);
  return Buffer.concat([header, ph, noteBytes, body]);
}

/** Go's build information as the linker writes it (Go 1.18+, strings inline). */
export function goBuildInfo(modulePath: string): Buffer {
  const header = Buffer.alloc(32);
  header.write('\xff Go buildinf:', 0, 'latin1');
  header[14] = 8;
  header[15] = 2;
  const str = (s: string) => {
    const b = Buffer.from(s, 'latin1');
    return Buffer.concat([Buffer.from([(b.length & 0x7f) | (b.length > 127 ? 0x80 : 0), ...(b.length > 127 ? [b.length >> 7] : [])]), b]);
  };
  const sentinel = '0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6';
  return Buffer.concat([header, str('go1.24.4'), str(`${sentinel}path\t${modulePath}\nbuild\t-compiler=gc\n${sentinel}`)]);
}
