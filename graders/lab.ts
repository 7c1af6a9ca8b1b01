import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Check } from './checks/types.js';
import { CannotGrade } from './engine/errors.js';
import { LABS_ROOT, SOLUTIONS_ROOT } from './kit/locations.js';
import { declareApp, type AppDeclaration, type LabApp } from './run/app.js';

/**
 * A lab, declared once in graders/labs/<id>.ts: its app (how the grader runs and probes it)
 * apart from the checks that judge it, and what its builds may use.
 */
export interface LabDefinition {
  /** Folder name under labs/ and solutions/: `lab1-go`. */
  id: string;
  title: string;
  /** The app in the lab folder: its port, stamp, probes, the source a rebuild edits, its run limits. */
  app: LabApp;
  /**
   * Files the grader adds to the copy of the lab folder it builds from, as a real checkout
   * has them but the kit cannot ship them (a `.git` folder cannot be committed inside a
   * repository). A file the folder already has is left as it is.
   */
  contextFiles?: Record<string, string>; // a key ending in `/` is a folder
  /** Images this lab allows beyond the catalogue and the official online images (patterns, `*` for any). */
  allowImages?: string[];
  /**
   * The lab's builds need a package index (npm's registry, Debian's archive): RUN steps get
   * the engine's default network. Without it they run with no network at all.
   */
  buildNetwork?: boolean;
  checks: Check[];
}

/** What a lab's grader file writes: its app's defaults (port 8080, /healthz, /stamp, stamp.txt) may go unsaid. */
export type LabDeclaration = Omit<LabDefinition, 'app'> & { app: AppDeclaration };

/** A lab's grader file exports `defineLab({...})` as default: the app's defaults filled in, and what the checks need of it checked. */
export function defineLab(lab: LabDeclaration): LabDefinition {
  const app = declareApp(lab.app);
  if (lab.checks.some((c) => c.needs.includes('rebuild')) && !app.edit) {
    throw new Error(`${lab.id}: a check rebuilds after editing a source, so the lab's app must name it (app.edit)`);
  }
  return { ...lab, app };
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The lab graders beside this module: .ts from sources, .js when compiled. */
const LABS_DIR = path.join(HERE, 'labs');

export const labDir = (lab: Pick<LabDefinition, 'id'>) => path.join(LABS_ROOT, lab.id);
export const solutionDir = (lab: Pick<LabDefinition, 'id'>) => path.join(SOLUTIONS_ROOT, lab.id);

/** Every lab with a grader file in graders/labs/, in lab order. */
export async function allLabs(): Promise<LabDefinition[]> {
  const files = (await readdir(LABS_DIR)).filter((f) => /^lab\d+-[\w-]+\.(ts|js)$/.test(f));
  const labs = await Promise.all(files.map(async (f) => (await import(pathToFileURL(path.join(LABS_DIR, f)).href)).default as LabDefinition));
  return labs.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/** `lab1`, `1` or `lab1-go` → the lab; anything else is a one-line CannotGrade listing the labs. */
export async function findLab(name: string): Promise<LabDefinition> {
  const wanted = name.toLowerCase().replace(/^(\d+)$/, 'lab$1');
  // Load only the lab asked for when its file is plain to see (each grader file costs a little to load).
  const file = (await readdir(LABS_DIR)).find(
    (f) => /^lab\d+-[\w-]+\.(ts|js)$/.test(f) && (f.replace(/\.(ts|js)$/, '') === wanted || f.split('-')[0] === wanted),
  );
  if (file) return (await import(pathToFileURL(path.join(LABS_DIR, file)).href)).default as LabDefinition;
  const labs = await allLabs();
  const lab = labs.find((l) => l.id === wanted || l.id.split('-')[0] === wanted);
  if (!lab) throw new CannotGrade(`unknown lab "${name}"; the labs are: ${labs.map((l) => `${l.id.split('-')[0]} (${l.id})`).join(', ')}`);
  return lab;
}
