import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { docker } from '../engine/docker.js';
import { hashPredicate, ScanBudgetExceeded, type LayerContent } from './layers.js';
import { scanSavedImage, type SavedImage } from './saved-image.js';
import type { ScanMessage, ScanRequest } from './scan-protocol.js';

/**
 * The scan's heap in its thread. 1,000,000 entries (the budget's most) take about 250 MB;
 * archives are held outside it, at most 64 MiB of zips at once, and streams by the chunk.
 */
export const SCAN_HEAP_MB = 320;

/**
 * The scan's heap starts this large. Left to size it, V8 keeps a small heap's limit tight
 * and the scan's growing list of entries set off a full collection every few megabytes:
 * about 100 while explaining the lab 1 starter, a fifth of the thread's CPU. A worker's
 * resourceLimits have no initial size. V8's flag is read only when a thread's heap is made
 * (a thread's own start, after its constructor returns): it is set from here on, for every
 * thread started later (the build fence's too, whose heap stays small either way).
 */
const SCAN_INITIAL_HEAP_MB = 64;

/**
 * The worker's file: the compiled JavaScript beside this one; from the TypeScript sources
 * (tests, scripts run through tsx), the kit's compiled build (dist/graders/), brought up
 * to date first, as `stagecraft` itself does: a worker thread does not get tsx's loader.
 */
async function workerFile(): Promise<URL> {
  if (import.meta.url.endsWith('.js')) return new URL('./scan-worker.js', import.meta.url);
  const builder = (await import(new URL('../../bin/build.mjs', import.meta.url).href)) as { staleReason(): string; build(): Promise<void>; OUT: string };
  if (builder.staleReason()) await builder.build();
  return pathToFileURL(path.join(builder.OUT, 'inspect', 'scan-worker.js'));
}

/** The scan's thread, its limits set; it waits for its request (scan-worker.ts). */
function startWorker(file: URL): Worker {
  setFlagsFromString(`--initial-old-space-size=${SCAN_INITIAL_HEAP_MB}`);
  const worker = new Worker(file, {
    resourceLimits: { maxOldGenerationSizeMb: SCAN_HEAP_MB, maxYoungGenerationSizeMb: 32 },
    // The scan's own output (none, normally) is not the grade's.
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  return worker;
}

/**
 * One scan's worker thread, started before its image is known: the thread's start and its
 * modules (about 0.1 s) overlap the engine's answers that decide whether the image is
 * scanned at all. Used for one scan, then ended; `close` ends it unused. Never shared, and
 * never left waiting past the call that started it.
 */
export class ScanThread {
  private readonly worker: Promise<Worker | undefined>;
  /** Why the thread ended before its scan, if it did. */
  private early?: Error;

  constructor() {
    // Without a compiled build (installed without esbuild, run through tsx), the scan stays in this thread.
    this.worker = workerFile().then(
      (file) => {
        try {
          const worker = startWorker(file);
          worker
            .once('error', (err) => (this.early ??= err))
            .once('exit', (code) => (this.early ??= new Error(`the layer scan stopped (exit code ${code}) before it started`)));
          return worker;
        } catch (err) {
          // No thread to be had (a machine out of threads or memory): this scan fails, not the process.
          this.early = err instanceof Error ? err : new Error(String(err));
          return undefined;
        }
      },
      () => undefined,
    );
  }

  /**
   * Scan an image's layers (`docker save`, streamed): the grader's event loop only receives
   * the result, a slice at a time. Rejects with ScanBudgetExceeded when the image holds more
   * than the scan reads, memory included; with an Error when the engine fails.
   */
  async scan(request: ScanRequest): Promise<SavedImage> {
    const worker = await this.worker;
    if (this.early) throw this.early;
    if (!worker) return scanHere(request);
    worker.postMessage(request);
    return new Promise<SavedImage>((resolve, reject) => {
      let config: SavedImage['config'] | undefined;
      const layers: LayerContent[] = [];
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
        void worker.terminate();
      };
      worker.on('message', (m: ScanMessage) => {
        if (m.type === 'config') config = m.config;
        else if (m.type === 'layer') layers[m.index] = { files: [], members: [], whiteouts: m.whiteouts, bytes: m.bytes };
        else if (m.type === 'done') settle(() => resolve({ config: config ?? {}, layers }));
        else if (m.type === 'error') settle(() => reject(m.budget ? new ScanBudgetExceeded(m.message) : new Error(m.message)));
        else {
          const list = layers[m.index]![m.type];
          for (const e of m.entries) list.push(e);
        }
      });
      worker.on('error', (err: Error & { code?: string }) =>
        settle(() =>
          reject(
            err.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? new ScanBudgetExceeded(`reading its layers took more than the ${SCAN_HEAP_MB} MiB of memory the grader gives a scan`)
              : err,
          ),
        ),
      );
      worker.on('exit', (code) => settle(() => reject(new Error(`the layer scan stopped (exit code ${code}) before it finished`))));
    });
  }

  /** End the thread: unused, or once its scan has settled (a no-op then). */
  close(): void {
    void this.worker.then((w) => w?.terminate());
  }
}

/** One scan in a thread of its own, started now. */
export function scanImageInThread(request: ScanRequest): Promise<SavedImage> {
  const thread = new ScanThread();
  return thread.scan(request).finally(() => thread.close());
}

/** The scan itself, in whichever thread calls it: the worker's body, and the fallback. */
export async function scanHere({ image, file, options }: ScanRequest): Promise<SavedImage> {
  const stream = file ? createReadStream(file) : ((await docker().getImage(image!).get()) as unknown as Readable);
  return scanSavedImage(stream, { ...options, hashIf: options.hash ? hashPredicate(options.hash) : undefined });
}
