/**
 * The fence's worker thread: the watcher (fence.ts) runs here, on an event loop of its own,
 * so a grader whose main loop is busy or frozen (a long synchronous scan) still limits,
 * reads and stops every step in time. The grading side (client.ts) talks to it in
 * messages: a grade registers and is released; the watcher reports stops as they happen
 * and a grade's figures when asked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SharedCeiling } from './ceiling.js';
import { BuildFence, type FenceOptions, type FenceSite, type GradeFence } from './fence.js';
import type { BuildLimits } from './limits.js';

export interface WatcherData {
  site: FenceSite;
  options: Omit<FenceOptions, 'ceiling'>;
  /** Where holders of the parent's ceiling meet; no ceiling at all when undefined. */
  ceilingRoot?: string;
  /** Hold the parent's ceiling (false where the parent is shared with the rest of the system). */
  ceiling: boolean;
}

export type ToWatcher =
  | { t: 'register'; id: number; marker: string; limits: BuildLimits; seq: number }
  | { t: 'settle'; id: number; seq: number }
  | { t: 'release'; id: number; seq: number }
  | { t: 'copying'; id: number; active: number };

export interface GradeState {
  stops: GradeFence['stops'];
  strained: GradeFence['strained'];
  peaks: GradeFence['peaks'];
  failure?: string;
}

export type FromWatcher = { t: 'stop'; id: number; state: GradeState } | { t: 'state'; id: number; seq: number; state: GradeState };

const data = workerData as WatcherData;
const ceiling = data.ceiling ? new SharedCeiling(data.site.parent, data.ceilingRoot) : undefined;
const fence = new BuildFence(data.site, { ...data.options, ceiling });
const grades = new Map<number, GradeFence>();
const port = parentPort!;

const state = (g: GradeFence): GradeState => ({ stops: g.stops, strained: g.strained, peaks: g.peaks, failure: g.failure });

port.on('message', (m: ToWatcher) => {
  void (async () => {
    if (m.t === 'register') {
      const g = fence.register(m.limits, m.marker);
      g.onStop = () => port.postMessage({ t: 'stop', id: m.id, state: state(g) } satisfies FromWatcher);
      grades.set(m.id, g);
      port.postMessage({ t: 'state', id: m.id, seq: m.seq, state: state(g) } satisfies FromWatcher);
      return;
    }
    const g = grades.get(m.id);
    if (!g) return;
    if (m.t === 'copying') {
      g.copying = m.active;
      return;
    }
    if (m.t === 'settle') await g.settle();
    if (m.t === 'release') {
      await fence.release(g);
      grades.delete(m.id);
    }
    port.postMessage({ t: 'state', id: m.id, seq: m.seq, state: state(g) } satisfies FromWatcher);
  })();
});
