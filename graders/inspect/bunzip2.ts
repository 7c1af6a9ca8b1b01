/**
 * bzip2, decoded as it is read, a slice at a time, in this thread (pure TypeScript: no
 * native code to install). The rest of a stream can be counted without being produced:
 * what a decompression bomb is measured by, when nothing wants the bytes themselves.
 * Memory: one block's tables (5 bytes a byte of the block, 4.5 MB at most), the block's
 * compressed bytes and one slice, whatever the output, a block of zeros of 46 MB included.
 */

/** Bytes of output handed out at once. */
export const SLICE = 64 * 1024;

/** The data is not bzip2, is cut short or is damaged: the scan calls it unreadable. */
export class Bzip2Error extends Error {}

/** Thrown by the bit reader when a block goes past the input read so far: the block is read again once more has come. */
const NEED_INPUT = new Error('bzip2: more input needed');

const MAX_GROUPS = 6;
const MAX_ALPHA = 258;
const MAX_CODE_LEN = 20;
const GROUP_SIZE = 50;
const MASK = Array.from({ length: 33 }, (_, k) => (k === 32 ? 0xffffffff : (1 << k) - 1));

/** CRC-32 as bzip2 computes it: most significant bit first, polynomial 0x04c11db7. */
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

/** Set bits `from` to `to` (not included) of a bit set, a word at a time where it can. */
function setBits(bits: Int32Array, from: number, to: number): void {
  let a = from;
  for (; a < to && a & 31; a++) bits[a >>> 5]! |= 1 << (a & 31);
  for (; a + 32 <= to; a += 32) bits[a >>> 5] = -1;
  for (; a < to; a++) bits[a >>> 5]! |= 1 << (a & 31);
}

/** Bits, most significant first, from `pos` in `buf` on. */
class BitReader {
  acc = 0;
  n = 0;
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
  ) {}

  read(k: number): number {
    while (this.n < k) {
      if (this.pos >= this.buf.length) throw NEED_INPUT;
      this.acc = (this.acc << 8) | this.buf[this.pos++]!;
      this.n += 8;
    }
    this.n -= k;
    return (this.acc >>> this.n) & MASK[k]!;
  }

  /** Bits consumed since the start of `buf`. */
  get bit(): number {
    return this.pos * 8 - this.n;
  }
}

/**
 * The decoder's state between calls: the compressed input not yet consumed, the block
 * being handed out (its table walked as bzip2's inverse Burrows–Wheeler transform), and
 * the run-length state of that walk.
 */
export class Bunzip2 {
  /** Bytes of output handed out by `read()` so far (those `skip()` counts are never produced). */
  produced = 0;
  private readonly source: AsyncIterator<unknown>;
  private window: Buffer = Buffer.alloc(0);
  private extra: Buffer[] = [];
  private extraBytes = 0;
  /** Where the next unread bit is, counted from the start of `window`. */
  private bit = 0;
  private ended = false;
  /** The block size of the stream being read (1–9 hundred thousand bytes), 0 between streams. */
  private level = 0;
  private streams = 0;
  private streamCrc = 0;
  private streamCrcValid = true;
  /** The block's bytes as decoded (the Burrows–Wheeler transform's last column), read once to build `tt`. */
  private ll = new Uint8Array(0);
  /** Per position of the block: the byte its step gives (low 8 bits) and the position of the next step. */
  private tt = new Uint32Array(0);
  /** Per position of the block, a bit: does the next byte of the output repeat this one? */
  private same = new Int32Array(0);
  /** Scratch bits for counting a block: positions whose stretch starts earlier; positions where a long one starts. */
  private follows = new Int32Array(0);
  private longStarts = new Int32Array(0);
  /** Per position of the decoded bytes, a bit: a run of one byte starts here (a byte, or a RUNA/RUNB run of it). */
  private runStarts = new Int32Array(0);
  /** The position of the block's last step: nothing follows it. */
  private last = 0;
  private origPtr = 0;
  /**
   * Is every link of the block in `tt`? Only the links out of positions whose next byte
   * repeats theirs are when the block is only counted (`skip()`): 1 in 100 of re2-exhaustive's.
   */
  private linked = false;
  /** Link every position (the bytes are wanted) or only what counting needs. */
  private linkAll = true;
  /** `produced` when the block being handed out started. */
  private blockStart = 0;
  /** How many of the block's bytes the next one repeats. */
  private repeats = 0;
  private blockLength = 0;
  // The walk through the current block.
  private pos = 0;
  private current = 0;
  private run = 0;
  private left = 0;
  private copies = 0;
  private outbyte = 0;
  private crc = 0;
  private blockCrc = 0;
  private checking = false;
  private inBlock = false;
  // Tables reused from block to block.
  private readonly symToByte = new Uint8Array(256);
  private readonly selectors = new Uint8Array(32768);
  private readonly lengths = new Uint8Array(MAX_ALPHA);
  private readonly limit = Array.from({ length: MAX_GROUPS }, () => new Int32Array(MAX_CODE_LEN + 2));
  private readonly base = Array.from({ length: MAX_GROUPS }, () => new Int32Array(MAX_CODE_LEN + 2));
  private readonly perm = Array.from({ length: MAX_GROUPS }, () => new Int32Array(MAX_ALPHA));
  private readonly minLen = new Int32Array(MAX_GROUPS);
  private readonly maxLen = new Int32Array(MAX_GROUPS);
  private readonly counts = new Int32Array(256);
  /** Where each byte's positions start in the sorted column (and, last, the block's length). */
  private readonly starts = new Int32Array(257);

  constructor(source: AsyncIterable<unknown>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** The next slice of output, or undefined at the end of the data. */
  async read(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.inBlock && (this.left > 0 || this.copies > 0)) {
        const out = Buffer.allocUnsafe(SLICE);
        const n = this.walk(out);
        this.produced += n;
        if (n > 0) return out.subarray(0, n);
        continue; // the block's last steps gave nothing (a run of four and no more)
      }
      if (this.inBlock) this.endBlock();
      this.linkAll = true;
      if (!(await this.nextBlock())) return undefined;
      this.checking = true;
      this.blockStart = this.produced;
    }
  }

  /**
   * Read the rest of the data without producing it: `count` is told how many bytes each
   * block would have given (it may throw to stop). Checksums are not verified: they need the bytes.
   */
  async skip(count: (bytes: number) => void): Promise<void> {
    this.streamCrcValid = false;
    // A block of long runs (zeros) is walked: it is mostly stretches anyway, laid out in order.
    const walked = () => this.repeats > this.blockLength / 4;
    if (this.inBlock) {
      // A block partly handed out: the rest is the whole block less what it gave.
      this.checking = false;
      const n = walked() ? this.countRest() : this.countBlock() - (this.produced - this.blockStart);
      this.endBlock();
      if (n) count(n);
    }
    this.linkAll = false;
    while (await this.nextBlock()) {
      if (walked() && !this.linked) this.link(true);
      const n = walked() ? this.countRest() : this.countBlock();
      this.inBlock = false;
      count(n);
    }
  }

  /** Async iteration over the slices. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (let slice = await this.read(); slice; slice = await this.read()) yield slice;
  }

  private available(): number {
    return this.window.length - (this.bit >> 3) + this.extraBytes;
  }

  /** Read from the source until `want` bytes are waiting, or it ends. */
  private async fill(want: number): Promise<void> {
    while (!this.ended && this.available() < want) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else {
        const chunk = next.value as Buffer;
        this.extra.push(chunk);
        this.extraBytes += chunk.length;
      }
    }
    if (this.extra.length) {
      // What was read is dropped; the current byte stays, as the next bit may be inside it.
      const from = this.bit >> 3;
      this.window = Buffer.concat([this.window.subarray(from), ...this.extra]);
      this.bit -= from * 8;
      this.extra = [];
      this.extraBytes = 0;
    }
  }

  /**
   * Decode the next block (reading stream headers and ends on the way); false at the end of
   * the data. A block is decoded once its compressed bytes are all here: it is tried with
   * the most a block of its stream usually takes, then with twice what was there.
   */
  private async nextBlock(): Promise<boolean> {
    let want = this.level ? this.level * 100_000 + 64 * 1024 : 4;
    for (;;) {
      await this.fill(want);
      if (this.level === 0 && this.streams > 0 && this.available() === 0 && this.ended) return false;
      const r = new BitReader(this.window, this.bit >> 3);
      if (this.bit & 7) r.read(this.bit & 7);
      let step: 'header' | 'block' | 'end';
      try {
        step = this.level === 0 ? this.header(r) : this.block(r);
      } catch (err) {
        if (err !== NEED_INPUT) throw err;
        if (this.ended) throw new Bzip2Error('bzip2 data cut short');
        want = Math.max(want, this.available()) * 2;
        continue;
      }
      this.bit = r.bit;
      if (step === 'block') return true;
      want = step === 'header' ? this.level * 100_000 + 64 * 1024 : 4;
    }
  }

  /** `BZh` and the block size digit: the start of a stream (streams may follow one another). */
  private header(r: BitReader): 'header' {
    if (r.read(24) !== 0x425a68) throw new Bzip2Error(this.streams ? 'data after the end of the bzip2 stream' : 'not bzip2 data');
    const level = r.read(8) - 0x30;
    if (level < 1 || level > 9) throw new Bzip2Error('not bzip2 data');
    this.level = level;
    this.streams++;
    this.streamCrc = 0;
    if (this.tt.length < level * 100_000) {
      this.tt = new Uint32Array(level * 100_000);
      this.ll = new Uint8Array(level * 100_000);
      const words = Math.ceil((level * 100_000) / 32) + 1;
      this.same = new Int32Array(words);
      this.follows = new Int32Array(words);
      this.longStarts = new Int32Array(words);
      this.runStarts = new Int32Array(words);
    }
    return 'header';
  }

  /** One block, decoded into the table the walk reads; or the stream's end marker and checksum. */
  private block(r: BitReader): 'block' | 'end' {
    const hi = r.read(24);
    const lo = r.read(24);
    if (hi === 0x177245 && lo === 0x385090) {
      const crc = ((r.read(16) << 16) | r.read(16)) >>> 0;
      if (this.streamCrcValid && crc !== this.streamCrc >>> 0) throw new Bzip2Error('bzip2 checksum mismatch');
      // Byte-aligned again: another stream may follow.
      r.read(r.n & 7);
      this.level = 0;
      return 'end';
    }
    if (hi !== 0x314159 || lo !== 0x265359) throw new Bzip2Error('damaged bzip2 data');
    this.blockCrc = ((r.read(16) << 16) | r.read(16)) >>> 0;
    if (r.read(1)) throw new Bzip2Error('randomised bzip2 blocks (bzip2 before 0.9.5) are not read');
    const origPtr = r.read(24);

    // The bytes the block uses.
    let inUse = 0;
    const used16 = r.read(16);
    for (let i = 0; i < 16; i++) {
      if (!(used16 & (0x8000 >> i))) continue;
      const bits = r.read(16);
      for (let j = 0; j < 16; j++) if (bits & (0x8000 >> j)) this.symToByte[inUse++] = i * 16 + j;
    }
    if (inUse === 0) throw new Bzip2Error('damaged bzip2 data');
    const alphaSize = inUse + 2;

    // Which Huffman table codes each group of 50 symbols (move-to-front coded).
    const groups = r.read(3);
    const nSelectors = r.read(15);
    if (groups < 2 || groups > MAX_GROUPS || nSelectors < 1) throw new Bzip2Error('damaged bzip2 data');
    const mtfGroups = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < nSelectors; i++) {
      let j = 0;
      while (r.read(1)) if (++j >= groups) throw new Bzip2Error('damaged bzip2 data');
      const g = mtfGroups[j]!;
      for (let k = j; k > 0; k--) mtfGroups[k] = mtfGroups[k - 1]!;
      mtfGroups[0] = g;
      this.selectors[i] = g;
    }

    // The Huffman tables (code lengths, delta coded), then bzip2's decoding tables for each.
    for (let t = 0; t < groups; t++) {
      let len = r.read(5);
      let minLen = MAX_CODE_LEN;
      let maxLen = 0;
      for (let i = 0; i < alphaSize; i++) {
        for (;;) {
          if (len < 1 || len > MAX_CODE_LEN) throw new Bzip2Error('damaged bzip2 data');
          if (!r.read(1)) break;
          len += r.read(1) ? -1 : 1;
        }
        this.lengths[i] = len;
        if (len < minLen) minLen = len;
        if (len > maxLen) maxLen = len;
      }
      this.decodeTables(t, alphaSize, minLen, maxLen);
    }

    // The symbols: move-to-front indices, runs of the front byte in RUNA/RUNB digits, the end.
    const ll = this.ll;
    const max = this.level * 100_000;
    const counts = this.counts;
    counts.fill(0);
    const runStarts = this.runStarts;
    runStarts.fill(0, 0, (max >>> 5) + 1);
    const mtf = new Uint8Array(256);
    for (let i = 0; i < 256; i++) mtf[i] = i;
    const eob = inUse + 1;
    let count = 0;
    let selector = 0;
    let groupLeft = 0;
    let limit = this.limit[0]!;
    let base = this.base[0]!;
    let perm = this.perm[0]!;
    let minLen = 0;
    let maxLen = 0;
    let runLength = 0;
    let runWeight = 0;
    const buf = r.buf;
    let acc = r.acc;
    let n = r.n;
    let at = r.pos;
    for (;;) {
      if (groupLeft === 0) {
        if (selector >= nSelectors) throw new Bzip2Error('damaged bzip2 data');
        const g = this.selectors[selector++]!;
        limit = this.limit[g]!;
        base = this.base[g]!;
        perm = this.perm[g]!;
        minLen = this.minLen[g]!;
        maxLen = this.maxLen[g]!;
        groupLeft = GROUP_SIZE;
      }
      groupLeft--;
      // Enough bits for the longest code, where the input has them.
      while (n <= 24 && at < buf.length) {
        acc = (acc << 8) | buf[at++]!;
        n += 8;
      }
      let zn = minLen;
      if (zn > n) throw NEED_INPUT;
      let zvec = (acc >>> (n - zn)) & MASK[zn]!;
      while (zvec > limit[zn]!) {
        if (++zn > maxLen) throw new Bzip2Error('damaged bzip2 data');
        if (zn > n) throw NEED_INPUT;
        zvec = (acc >>> (n - zn)) & MASK[zn]!;
      }
      n -= zn;
      const index = zvec - base[zn]!;
      if (index < 0 || index >= alphaSize) throw new Bzip2Error('damaged bzip2 data');
      const sym = perm[index]!;

      if (sym <= 1) {
        // RUNA (1) and RUNB (2) are the digits of a run's length in bijective base 2.
        if (runWeight === 0) runWeight = 1;
        runLength += (sym + 1) * runWeight;
        runWeight *= 2;
        if (runLength > max) throw new Bzip2Error('damaged bzip2 data');
        continue;
      }
      if (runWeight) {
        if (count + runLength > max) throw new Bzip2Error('damaged bzip2 data');
        const b = this.symToByte[mtf[0]!]!;
        counts[b]! += runLength;
        runStarts[count >>> 5]! |= 1 << (count & 31);
        ll.fill(b, count, count + runLength);
        count += runLength;
        runLength = 0;
        runWeight = 0;
      }
      if (sym === eob) break;
      if (count >= max) throw new Bzip2Error('damaged bzip2 data');
      const j = sym - 1;
      const front = mtf[j]!;
      for (let k = j; k > 0; k--) mtf[k] = mtf[k - 1]!;
      mtf[0] = front;
      const b = this.symToByte[front]!;
      counts[b]!++;
      runStarts[count >>> 5]! |= 1 << (count & 31);
      ll[count++] = b;
    }
    r.acc = acc;
    r.n = n;
    r.pos = at;
    if (origPtr >= count) throw new Bzip2Error('damaged bzip2 data');

    this.origPtr = origPtr;
    this.blockLength = count;
    this.link(this.linkAll);
    this.pos = origPtr;
    this.current = -1;
    this.run = 0;
    this.left = count;
    this.copies = 0;
    this.crc = -1;
    this.inBlock = true;
    return 'block';
  }

  /**
   * The inverse Burrows–Wheeler transform's links. The byte at sorted position p (the first
   * column, F) is the one that follows the decoded byte (the last column, L) it came from,
   * at i: position p's step gives F[p] and goes on to i. Whether the next step repeats p's
   * byte (F[i] = F[p]) is noted on the way, a bit a position, for counting without walking.
   * Done a run of L at a time (what bzip2 compresses is runs): its positions in F follow one
   * another, as do its links, and F[i] changes only where a byte's range ends. With `all`
   * false, only the links of those positions are written: what counting reads (the ends of
   * stretches are linked later, `linkEnds`). A byte at a time, every link, reading the table
   * back, was most of a block's time (re2-exhaustive.txt.bz2: 0.33 s of 0.48).
   */
  private link(all: boolean): void {
    const { tt, same, starts, counts, origPtr } = this;
    const count = this.blockLength;
    let sum = 0;
    for (let i = 0; i < 256; i++) {
      const c = counts[i]!;
      starts[i] = sum;
      sum += c;
    }
    starts[256] = sum;
    counts.set(starts.subarray(0, 256));
    same.fill(0, 0, (count >>> 5) + 1);
    let repeats = 0;
    let f = 0; // F[i]
    let fEnd = starts[1]!;
    let last = 0;
    this.eachRun((b, from, to) => {
      const p0 = counts[b]! - from;
      counts[b]! += to - from;
      if (origPtr >= from && origPtr < to) last = p0 + origPtr;
      for (let i = from; i < to;) {
        while (i >= fEnd) fEnd = starts[++f + 1]!;
        const end = Math.min(to, fEnd);
        if (f === b) {
          setBits(same, p0 + i, p0 + end);
          repeats += end - i;
        }
        if (all || f === b) for (let k = i; k < end; k++) tt[p0 + k] = b | (k << 8);
        i = end;
      }
    });
    // Put back: counted a second time by `linkEnds`, or by `link(true)` after `link(false)`.
    for (let b = 0; b < 256; b++) counts[b] = starts[b + 1]! - starts[b]!;
    this.repeats = repeats;
    this.last = last;
    this.linked = all;
  }

  /** The runs of one byte of L, in order: its byte, where it starts, where it ends. */
  private eachRun(visit: (b: number, from: number, to: number) => void): void {
    const { ll, runStarts } = this;
    const count = this.blockLength;
    const words = (count >>> 5) + 1;
    let from = 0;
    for (let w = 0; w < words; w++) {
      for (let bits = runStarts[w]!; bits; bits &= bits - 1) {
        const i = (w << 5) | (31 - Math.clz32(bits & -bits));
        if (i > from) visit(ll[from]!, from, i);
        from = i;
      }
    }
    if (count > from) visit(ll[from]!, from, count);
  }

  /** The links of the positions whose bit `ends` has (the ends of stretches), in a table linked for counting only. */
  private linkEnds(ends: Int32Array): void {
    const { tt, starts } = this;
    const next = starts.slice(0, 256);
    this.eachRun((b, from, to) => {
      const p0 = next[b]! - from;
      next[b]! += to - from;
      // The run's positions are p0 + from to p0 + to: those marked get their links.
      for (let p = p0 + from; p < p0 + to;) {
        const w = p >>> 5;
        let bits = ends[w]! & (-1 << (p & 31));
        const stop = (w + 1) << 5;
        if (p0 + to < stop) bits &= (1 << ((p0 + to) & 31)) - 1;
        for (; bits; bits &= bits - 1) {
          const q = (w << 5) | (31 - Math.clz32(bits & -bits));
          tt[q] = b | ((q - p0) << 8);
        }
        p = stop;
      }
    });
  }

  /** The byte of sorted position p (F[p]): the last byte whose range starts at or before p. */
  private byteAt(p: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = 255;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= p) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** bzip2's decoding tables for a canonical Huffman code: the largest code of each length, and where each length's symbols start. */
  private decodeTables(t: number, alphaSize: number, minLen: number, maxLen: number): void {
    const perm = this.perm[t]!;
    const base = this.base[t]!;
    const limit = this.limit[t]!;
    const lengths = this.lengths;
    let pp = 0;
    for (let len = minLen; len <= maxLen; len++) for (let s = 0; s < alphaSize; s++) if (lengths[s] === len) perm[pp++] = s;
    base.fill(0);
    limit.fill(0);
    for (let s = 0; s < alphaSize; s++) base[lengths[s]! + 1]!++;
    for (let i = 1; i < base.length; i++) base[i]! += base[i - 1]!;
    let vec = 0;
    for (let i = minLen; i <= maxLen; i++) {
      vec += base[i + 1]! - base[i]!;
      limit[i] = vec - 1;
      vec <<= 1;
    }
    for (let i = minLen + 1; i <= maxLen; i++) base[i] = ((limit[i - 1]! + 1) << 1) - base[i]!;
    this.minLen[t] = minLen;
    this.maxLen[t] = maxLen;
  }

  /**
   * Walk the block into `out`, undoing bzip2's first run-length step (four equal bytes,
   * then how many more); the bytes written.
   */
  private walk(out: Buffer): number {
    const tt = this.tt;
    let { pos, current, run, left, copies, outbyte, crc } = this;
    const checking = this.checking;
    let produced = 0;
    const room = out.length;
    for (;;) {
      while (copies > 0 && produced < room) {
        out[produced++] = outbyte;
        if (checking) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ outbyte) & 0xff]!;
        copies--;
      }
      if (copies > 0 || left === 0) break;
      left--;
      const previous = current;
      pos = tt[pos]!;
      current = pos & 0xff;
      pos >>>= 8;
      if (run++ === 3) {
        copies = current;
        outbyte = previous;
        current = -1;
      } else {
        copies = 1;
        outbyte = current;
      }
      if (current !== previous) run = 0;
    }
    this.pos = pos;
    this.current = current;
    this.run = run;
    this.left = left;
    this.copies = copies;
    this.outbyte = outbyte;
    this.crc = crc;
    return produced;
  }

  /** The bytes the rest of the block would give, walked without producing them. */
  private countRest(): number {
    const tt = this.tt;
    let { pos, current, run, left } = this;
    let total = this.copies;
    while (left > 0) {
      left--;
      const previous = current;
      pos = tt[pos]!;
      current = pos & 0xff;
      pos >>>= 8;
      if (run++ === 3) {
        total += current;
        current = -1;
      } else total++;
      if (current !== previous) run = 0;
    }
    this.left = 0;
    this.copies = 0;
    return total;
  }

  /**
   * The bytes a whole block gives, counted without walking it (the walk jumps about the
   * table, a dependent read a byte: over a second for Go's 64 MB re2-exhaustive.txt.bz2). The block
   * holds its bytes before bzip2's first run-length step: each gives one byte, except a
   * count (the byte after four equal ones), which gives that many more of them. Counts lie
   * only in and after stretches of equal bytes, and the positions whose next byte is the same
   * were noted when the block was read: only those are visited, each stretch walked once,
   * then the stretches of four or more are parsed in output order, as the walk would.
   */
  private countBlock(): number {
    const tt = this.tt;
    const same = this.same;
    const follows = this.follows;
    const longStarts = this.longStarts;
    const n = this.blockLength;
    const last = this.last; // nothing follows it
    const words = (n >>> 5) + 1;
    same[last >>> 5]! &= ~(1 << (last & 31));
    const bit = (bits: Int32Array, p: number) => bits[p >>> 5]! & (1 << (p & 31));
    // A position whose byte repeats the one before it is inside a stretch, not at its start.
    follows.fill(0, 0, words);
    for (let w = 0; w < words; w++) {
      for (let bits = same[w]!; bits; bits &= bits - 1) {
        const next = tt[(w << 5) | (31 - Math.clz32(bits & -bits))]! >>> 8;
        follows[next >>> 5]! |= 1 << (next & 31);
      }
    }
    // Stretches of four equal bytes or more: their byte, length, and the position after them
    // (-1 at the end). The entry where each starts now holds its number, and `longStarts` says so.
    longStarts.fill(0, 0, words);
    const value: number[] = [];
    const length: number[] = [];
    const ends: number[] = [];
    for (let w = 0; w < words; w++) {
      for (let bits = same[w]! & ~follows[w]!; bits; bits &= bits - 1) {
        const start = (w << 5) | (31 - Math.clz32(bits & -bits));
        let r = start;
        let m = 1;
        while (bit(same, r)) {
          r = tt[r]! >>> 8;
          m++;
        }
        if (m < 4) continue;
        value.push(tt[start]! & 0xff);
        length.push(m);
        ends.push(r);
        tt[start] = value.length - 1;
        longStarts[start >>> 5]! |= 1 << (start & 31);
      }
    }
    // Where each goes on to: linked now in a table linked for counting only (an end's next
    // byte does not repeat it: it was not). `follows` has served: it marks them.
    if (!this.linked) {
      follows.fill(0, 0, words);
      for (const r of ends) if (r !== last) follows[r >>> 5]! |= 1 << (r & 31);
      this.linkEnds(follows);
    }
    const after = ends.map((r) => (r === last ? -1 : tt[r]! >>> 8));
    const stretchAt = (p: number) => (p >= 0 && bit(longStarts, p) ? tt[p]! : -1);
    // Parsed in output order: four bytes, a count, four bytes, a count… A stretch that ends on
    // four bytes makes the next position a count: when that starts another stretch, that
    // stretch's first byte is a count and its parse starts one later.
    const preceded = new Uint8Array(value.length);
    for (const p of after) {
      const i = stretchAt(p);
      if (i >= 0) preceded[i] = 1;
    }
    let counts = 0;
    let copies = 0;
    for (let h = 0; h < value.length; h++) {
      if (preceded[h]) continue; // parsed from the stretch before it
      let startsWithCount = false;
      for (let i = h; ;) {
        let m = length[i]!;
        if (startsWithCount) {
          counts++;
          copies += value[i]!;
          m--;
        }
        const k = Math.floor(m / 5);
        counts += k;
        copies += k * value[i]!;
        const pending = m % 5 === 4;
        const next = after[i]!;
        const j = stretchAt(next);
        if (j >= 0) {
          i = j;
          startsWithCount = pending;
          continue;
        }
        if (pending && next >= 0) {
          counts++;
          copies += this.byteAt(next);
        }
        break;
      }
    }
    return n - counts + copies;
  }

  /** A block handed out to its end: its checksum, when its bytes were all produced. */
  private endBlock(): void {
    this.inBlock = false;
    if (!this.checking) return;
    const crc = ~this.crc >>> 0;
    if (crc !== this.blockCrc) throw new Bzip2Error('bzip2 checksum mismatch');
    this.streamCrc = ((this.streamCrc << 1) | (this.streamCrc >>> 31)) ^ crc;
  }
}
