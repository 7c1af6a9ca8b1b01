/**
 * What a file is, learnt from its bytes as they stream past once (never read twice, never
 * held whole): an ELF program's identity (its build ID note, Go's build information, the
 * Debian package note, a toolchain's own strings), a JDK module file, or data the grader
 * cannot see into (compressed, encrypted, base64). Memory per file: its first 64 kB and a
 * few hundred bytes of captures.
 */

/** What the bytes said. Every field is optional: a plain text file has none. */
export interface ContentFacts {
  /** An ELF program or library, or an `ar` archive (Go's package archives, C static libraries). */
  compiled?: boolean;
  /** The ELF's GNU build ID (hex), or Go's build ID: the same program whatever its name or padding. */
  buildId?: string;
  /** A Go program's main module path from its build information: `cmd/compile` is Go's compiler. */
  goModule?: string;
  /** The Debian package an ELF says it was built in (its `.note.package`): `cpp-14-x86-64-linux-gnu`. */
  debPackage?: string;
  /** What an ELF's own strings prove it is (a banner of BANNERS, found anywhere in it): `gcc`. */
  banner?: string;
  /** A JDK's module file (`.jmod`), recognised by its magic number. */
  format?: 'jmod';
  /** Why the content cannot be looked into: "xz-compressed data", "base64 text", … */
  opaque?: string;
}

/** Bytes kept from the start of a file: ELF headers and notes live there, and the sample for entropy. */
export const HEAD_BYTES = 64 * 1024;
/** Files smaller than this are never called opaque: small compressed files are everywhere. */
export const OPAQUE_MIN_BYTES = 64 * 1024;

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const AR = Buffer.from('!<arch>\n', 'latin1');
const JMOD = Buffer.from([0x4a, 0x4d, 0x01, 0x00]);
const BUILDINFO = Buffer.from('\xff Go buildinf:', 'latin1');
const DEB_NOTE = Buffer.from('{"type":"deb"', 'latin1');

/**
 * Byte strings that only one toolchain's programs carry, and what each proves: they are in
 * the code, so no rename, padding, `strip` or removed note takes them out.
 */
export const BANNERS: { bytes: Buffer; proves: string }[] = [
  // gcc's driver hands its settings to the programs it runs in this environment variable, and
  // they read it: the driver (gcc, g++, cpp), cc1, cc1plus, collect2, lto-wrapper, lto1,
  // lto-dump and the LTO plugin carry it. No runtime does: not libgcc_s or libstdc++, libc,
  // Python, Node.js, a JRE, binutils or the Go toolchain (every stand-in image, searched).
  { bytes: Buffer.from('COLLECT_GCC', 'latin1'), proves: 'gcc' },
];

/** Compressed formats the scan does not unpack: recognised by their magic numbers. */
const UNREAD_FORMATS: [Buffer, string][] = [
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz-compressed data'],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd-compressed data'],
  [Buffer.from('BZh', 'latin1'), 'bzip2-compressed data'],
  [Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), 'a 7-Zip archive'],
  [Buffer.from('Rar!', 'latin1'), 'a RAR archive'],
  [Buffer.from([0x5d, 0x00, 0x00]), 'lzma-compressed data'],
];

const startsWith = (b: Buffer, magic: Buffer) => b.length >= magic.length && b.subarray(0, magic.length).equals(magic);

/**
 * Finds marks (byte strings) in a stream of chunks, across chunk boundaries, and keeps the
 * `capture` bytes that start at each mark's first occurrence.
 */
class MarkFinder {
  private carry = Buffer.alloc(0);
  private readonly longest: number;
  readonly captured = new Map<string, Buffer>();
  private pending = new Map<string, { parts: Buffer[]; have: number; need: number }>();
  constructor(private readonly marks: { key: string; bytes: Buffer; capture: number }[]) {
    this.longest = Math.max(...marks.map((m) => m.bytes.length));
  }

  push(chunk: Buffer): void {
    for (const [key, p] of this.pending) {
      const part = chunk.subarray(0, p.need - p.have);
      p.parts.push(Buffer.from(part));
      p.have += part.length;
      if (p.have >= p.need) {
        this.captured.set(key, Buffer.concat(p.parts));
        this.pending.delete(key);
      }
    }
    if (this.captured.size + this.pending.size === this.marks.length) return;
    // A mark across the boundary is found in carry + the chunk's first bytes; the rest in the chunk itself.
    const boundary = this.carry.length ? Buffer.concat([this.carry, chunk.subarray(0, this.longest - 1)]) : undefined;
    for (const mark of this.marks) {
      if (this.captured.has(mark.key) || this.pending.has(mark.key)) continue;
      let source = chunk;
      let at = boundary ? boundary.indexOf(mark.bytes) : -1;
      let offset = 0;
      if (at >= 0 && at < this.carry.length) {
        // Starts in the carry: the capture continues into the chunk.
        source = Buffer.concat([this.carry.subarray(at), chunk]);
        offset = 0;
        at = 0;
      } else {
        at = chunk.indexOf(mark.bytes);
        offset = at;
      }
      if (at < 0) continue;
      const got = Buffer.from(source.subarray(offset, offset + mark.capture));
      if (got.length >= mark.capture) this.captured.set(mark.key, got);
      else this.pending.set(mark.key, { parts: [got], have: got.length, need: mark.capture });
    }
    // The carry is the last bytes seen, which may span several small chunks.
    const tail = chunk.length >= this.longest - 1 ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = Buffer.from(tail.subarray(Math.max(0, tail.length - (this.longest - 1))));
  }

  /** What was found, complete or cut short by the end of the file. */
  result(key: string): Buffer | undefined {
    return this.captured.get(key) ?? (this.pending.has(key) ? Buffer.concat(this.pending.get(key)!.parts) : undefined);
  }
}

/** Reads one file's bytes as they pass and says what the file is. */
export class ContentProbe {
  private head: Buffer[] = [];
  private headBytes = 0;
  private kind?: 'elf' | 'ar' | 'jmod' | 'other';
  private marks?: MarkFinder;

  constructor(private readonly size: number) {}

  push(chunk: Buffer): void {
    // Until the kind is known every byte is in the head (it is known by the 8th): the chunks before this one.
    const earlier = this.kind ? undefined : [...this.head];
    if (this.headBytes < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.headBytes);
      this.head.push(part);
      this.headBytes += part.length;
    }
    if (!this.kind) {
      // A stream may cut a file anywhere, its first chunk a byte long: the magic numbers need 8.
      if (this.headBytes < 8) return;
      this.decide(this.joinedHead());
      for (const part of earlier ?? []) this.marks?.push(part);
    }
    this.marks?.push(chunk);
  }

  /**
   * The head as one buffer, copied only when it came in pieces: a copy of up to 64 kB a
   * file, twice, was 440 MB for lab 1's starter, and garbage to collect.
   */
  private joinedHead(): Buffer {
    return this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head);
  }

  private decide(first: Buffer): void {
    this.kind = startsWith(first, ELF) ? 'elf' : startsWith(first, AR) ? 'ar' : startsWith(first, JMOD) ? 'jmod' : 'other';
    if (this.kind === 'elf') {
      this.marks = new MarkFinder([
        { key: 'buildinfo', bytes: BUILDINFO, capture: 1024 },
        { key: 'deb', bytes: DEB_NOTE, capture: 256 },
        // Presence is all a banner says: nothing kept.
        ...BANNERS.map((b, i) => ({ key: `banner${i}`, bytes: b.bytes, capture: 0 })),
      ]);
    }
  }

  /** The facts, once every byte has passed. */
  finish(): ContentFacts {
    // Joined only for the files that look at it (most do not).
    const head = () => this.joinedHead();
    if (!this.kind) this.decide(head()); // fewer than 8 bytes in all
    const facts: ContentFacts = {};
    if (this.kind === 'elf' || this.kind === 'ar') facts.compiled = true;
    if (this.kind === 'jmod') facts.format = 'jmod';
    if (this.kind === 'elf') {
      const first = head();
      const id = elfBuildId(first);
      if (id) facts.buildId = id;
      const goModule = parseBuildInfo(this.marks?.result('buildinfo'));
      if (goModule) facts.goModule = goModule;
      // A shared library's note is not what it is: Debian builds the C and C++ runtime libraries
      // (libstdc++, libgcc_s) in gcc's own source package, and every C++ program needs them.
      const deb = elfIsSharedLibrary(first) ? undefined : parseDebNote(this.marks?.result('deb'));
      if (deb) facts.debPackage = deb;
      const banner = BANNERS.find((_, i) => this.marks?.result(`banner${i}`));
      if (banner) facts.banner = banner.proves;
    } else if (this.kind === 'other' && Math.max(this.size, this.headBytes) >= OPAQUE_MIN_BYTES) {
      const opaque = opaqueKind(head());
      if (opaque) facts.opaque = opaque;
    }
    return facts;
  }
}

/** Formats whose compressed contents are what a runtime reads, never a hiding place: a JRE's module image (jlink's `lib/modules`), a class file. */
const RUNTIME_FORMATS = [Buffer.from([0xda, 0xda, 0xfe, 0xca]), Buffer.from([0xca, 0xfe, 0xda, 0xda]), Buffer.from([0xca, 0xfe, 0xba, 0xbe])];

/** "xz-compressed data", "base64 text", "compressed or encrypted data", or undefined for what can be read. */
export function opaqueKind(head: Buffer): string | undefined {
  if (RUNTIME_FORMATS.some((m) => startsWith(head, m))) return undefined;
  for (const [magic, what] of UNREAD_FORMATS) if (startsWith(head, magic)) return what;
  if (head.length >= 4096 && /^[A-Za-z0-9+/=\r\n]+$/.test(head.toString('latin1'))) return 'base64 text';
  if (head.length >= 4096 && entropy(head) >= 7.5) return 'compressed or encrypted data';
  return undefined;
}

/** Shannon entropy in bits per byte: about 8 for compressed or encrypted data, 4–6 for text and code. */
export function entropy(bytes: Buffer): number {
  // Four tables, a byte of each four to each, added up at the end: consecutive bytes (often
  // equal) do not wait on one another's count. Four times as fast as `for…of` into one
  // table, which was 0.18 s of a scan of lab 1's starter.
  const tables = new Uint32Array(1024);
  const whole = bytes.length & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    tables[bytes[i]!]!++;
    tables[256 + bytes[i + 1]!]!++;
    tables[512 + bytes[i + 2]!]!++;
    tables[768 + bytes[i + 3]!]!++;
  }
  for (; i < bytes.length; i++) tables[bytes[i]!]!++;
  let h = 0;
  for (let b = 0; b < 256; b++) {
    const c = tables[b]! + tables[256 + b]! + tables[512 + b]! + tables[768 + b]!;
    if (!c) continue;
    const p = c / bytes.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * The GNU build ID (or Go's) from an ELF's note segments, when they lie in its first bytes
 * (they do: linkers put the notes right after the program headers).
 */
export function elfBuildId(head: Buffer): string | undefined {
  if (head.length < 64 || !startsWith(head, ELF)) return undefined;
  const is64 = head[4] === 2;
  const little = head[5] === 1;
  const u16 = (at: number) => (little ? head.readUInt16LE(at) : head.readUInt16BE(at));
  const u32 = (at: number) => (little ? head.readUInt32LE(at) : head.readUInt32BE(at));
  const word = (at: number) => (is64 ? Number(little ? head.readBigUInt64LE(at) : head.readBigUInt64BE(at)) : u32(at));
  const phoff = word(is64 ? 0x20 : 0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  let goId: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + phentsize > head.length) break;
    if (u32(ph) !== 4) continue; // PT_NOTE
    const offset = word(ph + (is64 ? 0x08 : 0x04));
    const size = word(ph + (is64 ? 0x20 : 0x10));
    const align = (n: number) => (n + 3) & ~3;
    for (let at = offset; at + 12 <= Math.min(offset + size, head.length);) {
      const namesz = u32(at);
      const descsz = u32(at + 4);
      const type = u32(at + 8);
      const name = head.toString('latin1', at + 12, at + 12 + Math.max(0, namesz - 1));
      const desc = at + 12 + align(namesz);
      if (desc + descsz > head.length) break;
      if (name === 'GNU' && type === 3) return `gnu:${head.toString('hex', desc, desc + descsz)}`;
      if (name === 'Go' && type === 4) goId = `go:${head.toString('latin1', desc, desc + descsz)}`;
      at = desc + align(descsz);
    }
  }
  return goId;
}

/** A shared library: position-independent (ET_DYN) with no program interpreter (PT_INTERP), unlike a program. */
export function elfIsSharedLibrary(head: Buffer): boolean {
  if (head.length < 64 || !startsWith(head, ELF)) return false;
  const is64 = head[4] === 2;
  const little = head[5] === 1;
  const u16 = (at: number) => (little ? head.readUInt16LE(at) : head.readUInt16BE(at));
  const u32 = (at: number) => (little ? head.readUInt32LE(at) : head.readUInt32BE(at));
  if (u16(0x10) !== 3) return false;
  const phoff = is64 ? Number(little ? head.readBigUInt64LE(0x20) : head.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 4 > head.length) return false; // cannot tell: not called a library
    if (u32(ph) === 3) return false; // PT_INTERP: a program
  }
  return true;
}

/** Go's build information (Go 1.18 and later): the main module's path, `cmd/go` for the go command. */
export function parseBuildInfo(bytes: Buffer | undefined): string | undefined {
  if (!bytes || bytes.length < 33) return undefined;
  const flags = bytes[15]!;
  if (!(flags & 2)) return undefined; // older Go kept pointers here, not the strings
  let at = 32;
  const varint = () => {
    let value = 0;
    for (let shift = 0; at < bytes.length && shift < 35; shift += 7) {
      const b = bytes[at++]!;
      value |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return value;
    }
    return -1;
  };
  const versionLength = varint();
  if (versionLength < 0) return undefined;
  at += versionLength;
  const modLength = varint();
  if (modLength < 0) return undefined;
  const modinfo = bytes.toString('latin1', at, Math.min(bytes.length, at + modLength));
  return /(?:^|\n|[\s\S]{16})path\t([^\n]+)\n/.exec(modinfo)?.[1]?.trim();
}

/** The package name of a Debian package note: `{"type":"deb","os":"debian","name":"gcc-14",…}`. */
export function parseDebNote(bytes: Buffer | undefined): string | undefined {
  if (!bytes) return undefined;
  const text = bytes.toString('latin1');
  const end = text.indexOf('}');
  if (end < 0) return undefined;
  try {
    const note = JSON.parse(text.slice(0, end + 1)) as { name?: unknown };
    return typeof note.name === 'string' && /^[a-z0-9][a-z0-9+.-]*$/.test(note.name) ? note.name : undefined;
  } catch {
    return undefined;
  }
}
