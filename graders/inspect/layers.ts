import { createHash, type Hash } from 'node:crypto';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import picomatch from 'picomatch';
import tar from 'tar-stream';
import { formatBytes } from '../format/bytes.js';
import { listedPaths, MAX_LIST_BYTES, runtimePackageList } from './dpkg.js';
import { compressedKind, decompress, EXTENSION, type CompressedKind } from './decompress.js';
import { ContentProbe, HEAD_BYTES, OPAQUE_MIN_BYTES, type ContentFacts } from './content.js';
import { openZipMember, readZipDirectory, UnreadableMember } from './zip.js';

export type EntryType = 'file' | 'link' | 'symlink' | 'directory' | 'other';

/** What a file turned out to be when its first bytes were looked at. */
export type ArchiveKind = 'tar' | 'zip' | CompressedKind;

/**
 * One entry of one layer (or, with `inArchive`, of an archive inside a layer). `path` has
 * no leading slash, as in the tar. Kept small: an image may hold hundreds of thousands.
 */
export interface FileEntry extends ContentFacts {
  path: string;
  size: number;
  type: EntryType;
  layer: number;
  /** Set when a later layer deletes this path: it is hidden, but its bytes still ship. */
  deletedIn?: number;
  /** For an archive member: the path of the archive file in the layer that holds it. */
  inArchive?: string;
  /** For a file that is an archive: its kind, when it was looked into. */
  archive?: ArchiveKind;
  /** Why an archive was not (fully) looked into: larger than the scan allows, or unreadable. */
  notLookedInto?: string;
  /** sha256 of the contents, computed only for the files a content rule asked for. */
  sha256?: string;
  /** The runtime package (Debian's nodejs, python3, a JRE) that installed this file, by its own file list. */
  runtimePackage?: string;
  /** Where the scan's needle (a grade's stamp) was found: as the whole content, or inside it. */
  needle?: 'whole' | 'inside';
}

/** `.wh.name` deletes `name` (and everything below it); `.wh..wh..opq` empties its directory. */
export interface Whiteout {
  path: string;
  opaque: boolean;
}

export interface LayerContent {
  files: FileEntry[];
  /** Entries of archives found in this layer's files, looked into one level deep. */
  members: FileEntry[];
  whiteouts: Whiteout[];
  /** Sum of the sizes of the layer's regular files. */
  bytes: number;
  /** The file lists of runtime packages (dpkg's) this layer holds: which files are a runtime's. */
  packageLists?: { name: string; list: string; paths: string[] }[];
}

/** Limits that keep a scan's memory and time bounded whatever an image holds. */
export interface ScanBudget {
  /** Entries (files, folders, links, archive members) over every layer. */
  maxEntries: number;
  /** Characters of every entry's path, added up: the memory the paths take. */
  maxPathBytes: number;
  /** Zips are held whole (a zip's directory is at its end): at most this many bytes of them at once; larger ones are not looked into. */
  maxZipBytes: number;
  /** Bytes decompressed out of archives over the whole scan. */
  maxExpandedBytes: number;
  /** Bytes unpacked out of one file of a layer, at any depth, before it is called too large to look into. */
  maxArchiveBytes: number;
  /** An archive that unpacks to more than this many times its own size, once past `bombMinBytes`, is a decompression bomb. */
  bombRatio: number;
  bombMinBytes: number;
  /** Archives inside archives are looked into this many levels deep. */
  maxDepth: number;
}

/**
 * 1,000,000 entries are ten times the largest image of the catalogue (node:20-trixie,
 * ~25,000 files); 64 MiB of path text is 16,000 files of 4 kB paths, 40 times the paths of node:20-trixie.
 */
export const DEFAULT_BUDGET: ScanBudget = {
  maxEntries: 1_000_000,
  maxPathBytes: 64 * 1024 * 1024,
  maxZipBytes: 64 * 1024 * 1024,
  maxExpandedBytes: 2 * 1024 * 1024 * 1024,
  // The Go toolchain tarred and gzipped unpacks to about 4 times its size, text to about 10;
  // a bomb (zeros) to 1,000: 100 times past 64 MiB is a bomb whatever it holds.
  maxArchiveBytes: 1024 * 1024 * 1024,
  bombRatio: 100,
  bombMinBytes: 64 * 1024 * 1024,
  maxDepth: 3,
};

/** What a scan does beyond listing entries; a scan without options reads no file content. */
export interface ScanOptions {
  budget?: Partial<ScanBudget>;
  /** Hash this file's content? Asked for regular files and archive members (prefilter by size). */
  hashIf?: (path: string, size: number, inArchive: boolean) => boolean;
  /** Find where this text occurs (a grade's stamp). */
  needle?: string;
  /** Look into tar, gzip and zip files, and archives inside them (`maxDepth`). */
  archives?: boolean;
}

/**
 * The question "hash this file?" as data, so that it crosses to the scan's thread: files of
 * at least `minBytes`, of one of `sizes` (when given), at a path of `globs` and none of
 * `never` (when given), not at one of `skip` (`size:path`, a known file at its own place).
 */
export interface HashSpec {
  minBytes: number;
  sizes?: number[];
  skip?: string[];
  globs?: string[];
  never?: string[];
  /** Archive members too. */
  members: boolean;
}

export function hashPredicate(spec: HashSpec): (path: string, size: number, inArchive: boolean) => boolean {
  const sizes = spec.sizes && new Set(spec.sizes);
  const skip = new Set(spec.skip ?? []);
  const match = spec.globs && picomatch(spec.globs, { dot: true });
  const never = spec.never?.length ? picomatch(spec.never, { dot: true, nocase: true }) : () => false;
  return (path, size, inArchive) =>
    size >= spec.minBytes &&
    (!inArchive || spec.members) &&
    (!sizes || sizes.has(size)) &&
    (inArchive || !skip.has(`${size}:${path}`)) &&
    (!match || (match(path) && !never(path)));
}

/** The scan stopped because the image holds more than its budget allows: a verdict, not a crash. */
export class ScanBudgetExceeded extends Error {}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

export function normalise(name: string): string {
  return name
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
}

function entryType(type: string | null | undefined): EntryType {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'link':
      return 'link';
    case 'symlink':
      return 'symlink';
    case 'directory':
      return 'directory';
    default:
      return 'other';
  }
}

/** Read a whole (small) stream into memory. */
export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * What a file is, is told by its first bytes (a tar by its first 512): taken from a stream
 * until there are that many, as a stream may cut a file anywhere, a byte into it. `ended`
 * when the stream had no more.
 */
async function firstBytes(next: () => Promise<Buffer | undefined>): Promise<{ head?: Buffer; ended: boolean }> {
  const parts: Buffer[] = [];
  for (let bytes = 0; bytes < 512;) {
    const chunk = await next();
    if (!chunk) return { head: parts.length ? Buffer.concat(parts) : undefined, ended: true };
    parts.push(chunk);
    bytes += chunk.length;
  }
  return { head: parts.length === 1 ? parts[0] : Buffer.concat(parts), ended: false };
}

/** The next chunk of an iterator, undefined at its end. */
const pull = (iterator: AsyncIterator<unknown>) => async () => {
  const next = await iterator.next();
  return next.done ? undefined : (next.value as Buffer);
};

/** The first bytes of a stream, and a stream of all of it again. */
async function peek(stream: AsyncIterable<unknown>): Promise<{ head?: Buffer; whole: Readable }> {
  const next = pull(stream[Symbol.asyncIterator]());
  const { head, ended } = await firstBytes(next);
  if (!head) return { whole: Readable.from([]) };
  async function* rest() {
    yield head!;
    if (ended) return;
    for (let chunk = await next(); chunk; chunk = await next()) yield chunk;
  }
  return { head, whole: Readable.from(rest(), { objectMode: false }) };
}

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const isElf = (b: Buffer) => b.length >= 4 && b.readUInt32BE(0) === 0x7f454c46;
const isTar = (b: Buffer) => b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar';
const isZip = (b: Buffer) => b.length >= 4 && b.readUInt32LE(0) === 0x04034b50;

/** A layer may be plain tar or gzip-compressed tar; look at its first bytes to tell. */
async function decompressIfNeeded(stream: AsyncIterable<unknown>): Promise<Readable> {
  const { head, whole } = await peek(stream);
  return head && isGzip(head) ? whole.pipe(createGunzip()) : whole;
}

/** Finds a needle in a stream of chunks, across chunk boundaries. */
class NeedleFinder {
  private carry = Buffer.alloc(0);
  found = false;
  constructor(private readonly needle: Buffer) {}
  push(chunk: Buffer): void {
    if (this.found) return;
    const joined = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    if (joined.indexOf(this.needle) >= 0) this.found = true;
    else this.carry = Buffer.from(joined.subarray(Math.max(0, joined.length - this.needle.length + 1)));
  }
}

/** Counts what a scan has used of its budget; shared by every layer of one image. */
export class Usage {
  entries = 0;
  pathBytes = 0;
  expanded = 0;
  /** Bytes of zips held in memory right now (a zip inside a zip is held with its parent). */
  zipBytesHeld = 0;
  readonly budget: ScanBudget;
  readonly needle?: Buffer;
  constructor(readonly opts: ScanOptions) {
    this.budget = { ...DEFAULT_BUDGET, ...opts.budget };
    this.needle = opts.needle ? Buffer.from(opts.needle) : undefined;
  }
  add(path: string): void {
    this.entries++;
    this.pathBytes += path.length;
    if (this.entries > this.budget.maxEntries) {
      throw new ScanBudgetExceeded(`its layers hold more than ${this.budget.maxEntries.toLocaleString('en-US')} files (the most the grader reads)`);
    }
    if (this.pathBytes > this.budget.maxPathBytes) {
      throw new ScanBudgetExceeded(
        `its file paths add up to more than ${Math.round(this.budget.maxPathBytes / 2 ** 20)} MiB of text (the most the grader reads)`,
      );
    }
  }
  /** Wants anything of a regular file's bytes? */
  readsContent(): boolean {
    return Boolean(this.opts.hashIf || this.needle || this.opts.archives);
  }
}

/** What one pass over a file's bytes learns: its hash, the needle, and what the bytes say it is. */
interface ContentTap {
  probe: ContentProbe;
  hash?: Hash;
  finder?: NeedleFinder;
  small?: Buffer[];
}

function openTap(usage: Usage, path: string, size: number, inArchive: boolean): ContentTap {
  const tap: ContentTap = { probe: new ContentProbe(size) };
  // A gzip's payload has no size until it is read: hash it, and keep the hash only if its size is asked for.
  if (usage.opts.hashIf && (size < 0 || usage.opts.hashIf(path, size, inArchive))) tap.hash = createHash('sha256');
  if (usage.needle) {
    tap.finder = new NeedleFinder(usage.needle);
    // A file this small may be the needle itself, give or take white space.
    if (size <= usage.needle.length + 16) tap.small = [];
  }
  return tap;
}

function feedTap(tap: ContentTap, chunk: Buffer): void {
  tap.probe.push(chunk);
  tap.hash?.update(chunk);
  tap.finder?.push(chunk);
  tap.small?.push(chunk);
}

function closeTap(tap: ContentTap, entry: FileEntry, usage: Usage): void {
  if (tap.hash) entry.sha256 = tap.hash.digest('hex');
  Object.assign(entry, tap.probe.finish());
  if (tap.finder?.found) {
    const whole = tap.small && Buffer.concat(tap.small).toString('latin1').trim() === usage.needle!.toString('latin1');
    entry.needle = whole ? 'whole' : 'inside';
  }
}

/** An archive the scan stopped reading: too large, or a decompression bomb. Its path becomes the reason a check fails. */
class ArchiveTooLarge extends Error {}

/** How much one file of a layer has given out of its archives: what a bomb is measured by. */
interface Meter {
  /** The file's own (packed) bytes read so far. */
  packed: number;
  /** Bytes unpacked out of it (members, at any depth). */
  unpacked: number;
}

/** Count bytes unpacked out of an archive; stop a bomb as soon as it shows, and the whole scan at its budget. */
function unpacked(usage: Usage, meter: Meter, bytes: number): void {
  meter.unpacked += bytes;
  usage.expanded += bytes;
  const { bombRatio, bombMinBytes, maxArchiveBytes } = usage.budget;
  if (meter.unpacked > bombMinBytes && meter.unpacked > bombRatio * Math.max(meter.packed, 1)) {
    throw new ArchiveTooLarge(
      `a decompression bomb: ${formatBytes(meter.packed)} of it unpacked to more than ${formatBytes(meter.unpacked)} (over ${bombRatio} times as much)`,
    );
  }
  if (meter.unpacked > maxArchiveBytes)
    throw new ArchiveTooLarge(`it unpacks to more than ${formatBytes(maxArchiveBytes)}, the most the grader unpacks from one archive`);
  if (usage.expanded > usage.budget.maxExpandedBytes) throw new ArchiveTooLarge('more bytes decompressed than the scan allows');
}

/** Where an archive's members say they are: `opt/a.tgz`, or `opt/a.tgz!/inner.tar` one level further down. */
const archiveName = (entry: FileEntry) => (entry.inArchive === undefined ? entry.path : `${entry.inArchive}!/${entry.path}`);

/** List a tar (plain or already decompressed); members go to `out`, and are looked into in turn. */
async function readTarMembers(stream: Readable, archive: FileEntry, usage: Usage, meter: Meter, depth: number, out: FileEntry[]): Promise<void> {
  const extract = tar.extract();
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract);
  for await (const item of extract) {
    const name = normalise(item.header.name);
    const type = entryType(item.header.type);
    if (!name) {
      item.resume();
      continue;
    }
    usage.add(name);
    const member: FileEntry = { path: name, size: type === 'file' ? (item.header.size ?? 0) : 0, type, layer: archive.layer, inArchive: archiveName(archive) };
    out.push(member);
    if (type === 'file') await readContent(metered(item, usage, meter), member, usage, meter, depth + 1, out);
    else item.resume();
  }
}

/** A member's bytes, counted as unpacked out of the archive as they come. */
async function* metered(stream: AsyncIterable<unknown>, usage: Usage, meter: Meter): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    unpacked(usage, meter, (chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

/**
 * A compressed file (gzip, xz, zstd, bzip2) holds a tar (members) or one file (a member
 * named after the archive). That file is read as far as anything wants its bytes (its
 * first HEAD_BYTES, what says what a plain file is); the rest is only counted, which is
 * what a bomb is measured by.
 */
const readCompressedMembers =
  (kind: CompressedKind): ArchiveReader =>
  async (stream, archive, usage, meter, depth, out) => {
    const d = decompress(kind, stream);
    const { head, ended } = await firstBytes(() => d.read());
    async function* whole() {
      if (head) yield head;
      if (ended) return;
      for (let chunk = await d.read(); chunk; chunk = await d.read()) yield chunk;
    }
    if (head && isTar(head)) return readTarMembers(Readable.from(whole(), { objectMode: false }), archive, usage, meter, depth, out);
    const name = path.posix.basename(archive.path).replace(EXTENSION[kind], '') || 'content';
    usage.add(name);
    const member: FileEntry = { path: name, size: -1, type: 'file', layer: archive.layer, inArchive: archiveName(archive) };
    out.push(member);
    const stopped = await readContent(metered(whole(), usage, meter), member, usage, meter, depth + 1, out, true);
    if (stopped) await d.skip((bytes) => unpacked(usage, meter, bytes));
  };

/**
 * A zip's members, from its directory (a zip is held whole: its directory is at its end).
 * A member is inflated as it is read, only when something wants its bytes; one whose
 * directory entry already says it is a bomb is not inflated at all.
 */
async function readZip(bytes: Buffer, archive: FileEntry, usage: Usage, meter: Meter, depth: number, out: FileEntry[]): Promise<void> {
  const { bombRatio, bombMinBytes } = usage.budget;
  for (const m of readZipDirectory(bytes)) {
    const name = normalise(m.name);
    if (!name) continue;
    usage.add(name);
    const member: FileEntry = { path: name, size: m.size, type: m.directory ? 'directory' : 'file', layer: archive.layer, inArchive: archiveName(archive) };
    out.push(member);
    if (m.directory || m.size === 0) continue;
    if (m.size > bombMinBytes && m.size > bombRatio * Math.max(m.compressedSize, 1)) {
      throw new ArchiveTooLarge(
        `a decompression bomb: its member ${oneLinePath(name)} says ${formatBytes(m.compressedSize)} unpack to ${formatBytes(m.size)} (over ${bombRatio} times as much)`,
      );
    }
    if (!wantsMember(usage, name, m.size)) continue;
    let stream: Readable;
    try {
      stream = openZipMember(bytes, m);
    } catch (err) {
      if (err instanceof UnreadableMember) continue;
      throw err;
    }
    await readContent(metered(stream, usage, meter), member, usage, meter, depth + 1, out);
  }
}

const oneLinePath = (p: string) => p.replace(/[\u0000-\u001f\u007f]/g, '?');

/** Does anything want a zip member's bytes? The needle, its hash, or what it is (large enough to matter). */
function wantsMember(usage: Usage, name: string, size: number): boolean {
  return Boolean(usage.needle || usage.opts.hashIf?.(name, size, true) || size >= OPAQUE_MIN_BYTES || usage.opts.archives);
}

type ArchiveReader = (stream: Readable, archive: FileEntry, usage: Usage, meter: Meter, depth: number, out: FileEntry[]) => Promise<void>;

/**
 * Read one regular file (of a layer, or a member of an archive) once: hash it if asked,
 * look for the needle, learn what it is, and look into it when it is an archive (up to
 * `maxDepth` archives deep). Members found before an archive breaks are kept (a tar cut
 * in pieces still lists its first files); a file that is not an archive stays a plain file.
 * With `headOnly`, a plain file that nothing else wants (no hash, no needle, no ELF: its
 * notes and build information lie anywhere) is read no further than its first HEAD_BYTES:
 * true when it stopped there, the rest of `stream` unread.
 */
async function readContent(
  stream: AsyncIterable<unknown>,
  entry: FileEntry,
  usage: Usage,
  meter: Meter,
  depth: number,
  members: FileEntry[],
  headOnly = false,
): Promise<boolean> {
  const tap = openTap(usage, entry.path, entry.size, depth > 0);
  const next = pull(stream[Symbol.asyncIterator]());
  const { head, ended } = await firstBytes(next);
  if (!head) {
    closeTap(tap, entry, usage);
    return false;
  }
  const lookInto = usage.opts.archives && depth < usage.budget.maxDepth;
  const kind: ArchiveKind | undefined = !lookInto ? undefined : isZip(head) ? 'zip' : (compressedKind(head) ?? (isTar(head) ? 'tar' : undefined));

  // A zip is held whole, within what the scan holds at once; tar and gzip stream through their parser.
  let zipChunks: Buffer[] | undefined;
  if (kind === 'zip') {
    if (entry.size > 0 && usage.zipBytesHeld + entry.size <= usage.budget.maxZipBytes) {
      zipChunks = [];
      usage.zipBytesHeld += entry.size;
    } else {
      entry.notLookedInto = `a zip of ${formatBytes(entry.size)} is more than the ${formatBytes(usage.budget.maxZipBytes)} the scan reads`;
    }
  }
  let inner: PassThrough | undefined;
  let nested: Promise<void> | undefined;
  let nestedDone = false;
  const found: FileEntry[] = [];
  const own: Meter = depth === 0 ? { packed: 0, unpacked: 0 } : meter;
  const fail = (err: unknown) => {
    // A bomb (or an archive too large) at any depth is the verdict on the layer's file that holds it.
    if (err instanceof ScanBudgetExceeded || (err instanceof ArchiveTooLarge && depth > 0)) throw err;
    entry.notLookedInto = err instanceof ArchiveTooLarge ? err.message : `it could not be read as ${kind === 'zip' ? 'a zip' : 'an archive'}`;
  };
  if (kind && kind !== 'zip') {
    inner = new PassThrough();
    const reader: ArchiveReader = kind === 'tar' ? readTarMembers : readCompressedMembers(kind);
    nested = reader(inner, entry, usage, own, depth, found)
      .catch(fail)
      .finally(() => {
        nestedDone = true; // a tar ends before its padding: what follows is not read
      });
  }

  let fed = 0;
  const plain = headOnly && !kind && !tap.hash && !tap.finder;
  const feed = async (chunk: Buffer) => {
    if (depth === 0) own.packed += chunk.length;
    fed += chunk.length;
    feedTap(tap, chunk);
    zipChunks?.push(chunk);
    if (inner && !nestedDone && !inner.write(chunk)) {
      await Promise.race([new Promise((r) => inner!.once('drain', r)), nested]);
    }
  };
  const enough = () => plain && fed >= HEAD_BYTES && !isElf(head);
  try {
    for (let chunk: Buffer | undefined = head; chunk; chunk = ended ? undefined : await next()) {
      await feed(chunk);
      if (enough()) {
        closeTap(tap, entry, usage);
        return true;
      }
    }
  } catch (err) {
    // A bomb inside this member's own archive stops this file; one around it goes on up.
    inner?.destroy();
    await nested;
    throw err;
  }
  inner?.end();
  await nested;
  closeTap(tap, entry, usage);

  if (zipChunks) {
    try {
      const whole = Buffer.concat(zipChunks);
      zipChunks = undefined;
      await readZip(whole, entry, usage, own, depth, found);
    } catch (err) {
      fail(err);
    } finally {
      usage.zipBytesHeld -= entry.size;
    }
  }
  if (kind && !entry.notLookedInto && found.length) {
    entry.archive = kind;
    delete entry.opaque; // an archive that was read is not opaque, whatever its bytes look like
  }
  members.push(...found);
  return false;
}

/**
 * List one layer's entries from its tar stream, without writing anything to disk: file
 * contents are read past, or read once for what the options ask (hash, needle, archives).
 */
export async function scanLayer(stream: AsyncIterable<unknown>, layer: number, opts: ScanOptions | Usage = {}): Promise<LayerContent> {
  const usage = opts instanceof Usage ? opts : new Usage(opts);
  const content: LayerContent = { files: [], members: [], whiteouts: [], bytes: 0 };
  const extract = tar.extract();
  const source = await decompressIfNeeded(stream);
  source.on('error', (err) => extract.destroy(err));
  source.pipe(extract);
  try {
    for await (const entry of extract) {
      const path = normalise(entry.header.name);
      const base = path.slice(path.lastIndexOf('/') + 1);
      if (base === OPAQUE_MARKER) {
        content.whiteouts.push({ path: path.slice(0, Math.max(0, path.lastIndexOf('/'))), opaque: true });
        entry.resume();
      } else if (base.startsWith(WHITEOUT_PREFIX)) {
        const dir = path.slice(0, path.length - base.length);
        content.whiteouts.push({ path: dir + base.slice(WHITEOUT_PREFIX.length), opaque: false });
        entry.resume();
      } else if (path) {
        usage.add(path);
        const type = entryType(entry.header.type);
        const size = type === 'file' ? (entry.header.size ?? 0) : 0;
        const file: FileEntry = { path, size, type, layer };
        content.files.push(file);
        content.bytes += size;
        const runtime = type === 'file' && size <= MAX_LIST_BYTES ? runtimePackageList(path) : undefined;
        if (runtime) {
          // A runtime package's file list: kept, to tell its files from the app's (and read as any file is).
          const bytes = await collect(entry);
          (content.packageLists ??= []).push({ name: runtime, list: path, paths: listedPaths(bytes.toString('utf8')) });
          if (usage.readsContent()) await readContent(Readable.from([bytes]), file, usage, { packed: 0, unpacked: 0 }, 0, content.members);
        } else if (type === 'file' && size > 0 && usage.readsContent()) {
          await readContent(entry, file, usage, { packed: 0, unpacked: 0 }, 0, content.members);
        } else entry.resume();
      } else {
        entry.resume();
      }
    }
  } catch (err) {
    source.destroy();
    throw err;
  }
  return content;
}
