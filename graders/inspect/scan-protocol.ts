import type { FileEntry, HashSpec, ScanBudget, Whiteout } from './layers.js';
import type { ImageConfigJson } from './saved-image.js';

/** The scan's options as they cross to its thread: data only, no functions. */
export interface ScanThreadOptions {
  budget?: Partial<ScanBudget>;
  hash?: HashSpec;
  needle?: string;
  archives?: boolean;
}

/** What the scan thread is asked: one image on the engine, or a saved image's tar on disk (`docker save -o`). */
export interface ScanRequest {
  image?: string;
  file?: string;
  options: ScanThreadOptions;
}

/** Entries cross in slices this large: each costs the event loop a few milliseconds to receive. */
export const SLICE = 5_000;

export type ScanMessage =
  | { type: 'config'; config: ImageConfigJson; layers: number }
  | { type: 'layer'; index: number; whiteouts: Whiteout[]; bytes: number }
  | { type: 'files' | 'members'; index: number; entries: FileEntry[] }
  | { type: 'done' }
  | { type: 'error'; budget: boolean; message: string };
