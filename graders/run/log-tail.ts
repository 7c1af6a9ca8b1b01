import type { Readable } from 'node:stream';

const KEEP_CHARS = 64 * 1024;
/** Past this much output the grader stops reading: a flood must not cost it CPU or memory. */
const FOLLOW_LIMIT_CHARS = 1024 * 1024;
/** What the engine itself says into a followed log when its log file rotates under a flood. */
const ENGINE_NOISE = /Error grabbing logs/;

/**
 * The app's output as a grade needs it: its last lines. A testcontainers log consumer
 * that keeps only the tail of what it read (never a whole flood, never a line of a
 * gigabyte) and stops following after a few megabytes.
 */
export class LogTail {
  private text = '';
  private read = 0;
  private ended: Promise<void> = Promise.resolve();

  constructor(private readonly lines = 20) {}

  /** Give this to `withLogConsumer`. */
  readonly consume = (stream: Readable): void => {
    this.ended = new Promise((resolve) => {
      const onData = (chunk: string | Buffer) => {
        const s = chunk.toString();
        this.read += s.length;
        this.text = (this.text + s).slice(-KEEP_CHARS);
        if (this.read > FOLLOW_LIMIT_CHARS) {
          stream.off('data', onData);
          stream.pause();
          resolve();
        }
      };
      stream.on('data', onData);
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
  };

  /** What the engine kept, for a container that ended before it could be followed. */
  fillIfEmpty(text: string): void {
    if (!this.text) this.text = text.slice(-KEEP_CHARS);
  }

  /** The last lines, once the output has ended (or after `waitMs`, whichever is first). */
  async tail(waitMs = 1000): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    return this.text
      .split('\n')
      .filter((l) => !ENGINE_NOISE.test(l))
      .map((l) =>
        l
          .replace(/[\u0000-\u0008\u000b-\u001f]/g, '')
          .trimEnd()
          .slice(0, 300),
      )
      .filter(Boolean)
      .slice(-this.lines);
  }
}

/** The engine multiplexes stdout and stderr in 8-byte-framed chunks when there is no TTY. */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 && buffer.length > 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}
