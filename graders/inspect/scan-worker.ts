/**
 * The layer scan's worker thread: streams `docker save` of one image through the scan and
 * posts what it found back in slices, so that neither the scan nor the hand-over ever
 * holds the grader's event loop (the fence and the container run live there).
 */
import { parentPort } from 'node:worker_threads';
import { ScanBudgetExceeded, type FileEntry } from './layers.js';
import { scanHere } from './scan-thread.js';
import { SLICE, type ScanRequest, type ScanMessage } from './scan-protocol.js';

const post = (m: ScanMessage) => parentPort!.postMessage(m);

async function main(request: ScanRequest): Promise<void> {
  const saved = await scanHere(request);
  post({ type: 'config', config: saved.config, layers: saved.layers.length });
  const slices = (list: FileEntry[], index: number, key: 'files' | 'members') => {
    for (let at = 0; at < list.length; at += SLICE) post({ type: key, index, entries: list.slice(at, at + SLICE) });
  };
  saved.layers.forEach((l, index) => {
    post({ type: 'layer', index, whiteouts: l.whiteouts, bytes: l.bytes });
    slices(l.files, index, 'files');
    slices(l.members, index, 'members');
  });
  post({ type: 'done' });
}

// Started before its image is known (scan-thread.ts): the request comes as a message.
parentPort!.once('message', (request: ScanRequest) =>
  main(request).catch((err: unknown) => {
    post({ type: 'error', budget: err instanceof ScanBudgetExceeded, message: err instanceof Error ? err.message : String(err) });
  }),
);
