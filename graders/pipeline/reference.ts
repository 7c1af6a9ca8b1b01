import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../kit/locations.js';

/** The file `npm run measure` writes and the slides read. */
export const MEASUREMENTS_FILE = path.join(REPO_ROOT, 'slides', 'data', 'measurements.json');

export interface MeasuredImage {
  size: number;
  /** Bottom layer first; `share` is the fraction of the image's size. */
  layers: { createdBy: string; bytes: number; share: number; line?: number }[];
}

export interface MeasuredBaseImage {
  ref: string;
  size: number;
  standIn: boolean;
  shell: boolean;
  libc: string;
  packageManager: string;
}

export interface Measurements {
  measuredAt: string;
  standInBases: string[];
  /** The catalogue's images as they are on the measuring machine, smallest first. */
  baseImages: MeasuredBaseImage[];
  labs: Record<string, { starter?: MeasuredImage; solution?: MeasuredImage }>;
}

export async function readMeasurements(): Promise<Measurements | undefined> {
  try {
    return JSON.parse(await readFile(MEASUREMENTS_FILE, 'utf8')) as Measurements;
  } catch {
    return undefined;
  }
}

/** The starter's measured size for a lab, to say how much smaller a submission is. */
export async function starterSize(labId: string): Promise<number | undefined> {
  return (await readMeasurements())?.labs[labId]?.starter?.size;
}
