import { docker, isNotFound, requireEngine } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import type { Finding } from '../findings/index.js';
import { describeFinding } from '../findings/index.js';
import { formatBytes } from '../format/bytes.js';
import { oneLine } from '../format/text.js';
import { STAND_IN_LABEL } from '../images/catalogue.js';
import { inspectImage, type ImageFacts, type LayerSummary } from '../inspect/image.js';
import type { FileEntry } from '../inspect/layers.js';
import type { ParsedDockerfile } from '../lint/dockerfile.js';
import { silentProgress, type Progress } from '../pipeline/progress.js';
import { advise } from './advice.js';
import { findBaseImages } from './base-image.js';
import type { BuildOutcome, Explanation } from './explanation.js';
import { layerViews, withBaseImages } from './layers.js';
import { findInImage } from './rules.js';

/** An explanation, and what the page's treemap is drawn from: every file, and the findings each belongs to. */
export interface Explained {
  explanation: Explanation;
  files: FileEntry[];
  /** The findings (indices into explanation.findings) a file belongs to. */
  findingsOf: (file: FileEntry) => number[];
}

export interface ExplainContext {
  /** What the user named: an image reference, or a Dockerfile's path. */
  ref: string;
  df?: ParsedDockerfile;
  build?: BuildOutcome;
  notes?: string[];
  started?: number;
}

/** Layers known only from the engine's history (the scan did not finish): bytes and words, no files. */
function historyLayers(facts: ImageFacts): LayerSummary[] {
  return facts.history.filter((h) => !h.emptyLayer).map((h, layer) => ({ layer, createdBy: h.createdBy, bytes: h.size ?? 0, fileCount: 0, whiteouts: 0 }));
}

/**
 * Explain what the inspect stage learned about an image: the layers' bytes and origins,
 * the findings of the general rule sets, and for each what to do. `grade --html` calls
 * this with a grade's own facts; `explain` with an image's.
 */
export function explainFacts(facts: ImageFacts, ctx: ExplainContext): Explained {
  const layers = facts.layers ?? historyLayers(facts);
  const scanned: ImageFacts = { ...facts, layers };
  const { findings, filesOf } = findInImage(scanned, ctx.df);
  const notes = [...(ctx.notes ?? [])];
  if (facts.scanProblem) notes.push(`the layers were not read to the end: ${facts.scanProblem}; what is listed is what the image's history says`);
  // An archive the scan stopped reading (a decompression bomb, one too large) may hide anything: say which, and why.
  for (const f of facts.files ?? []) {
    if (f.notLookedInto && !f.notLookedInto.startsWith('it could not be read'))
      notes.push(`/${oneLine(f.path)} (layer ${f.layer + 1}) was not looked into: ${f.notLookedInto}`);
  }
  const standIn = Boolean(facts.labels[STAND_IN_LABEL]) || facts.standInBases.length > 0;
  if (standIn) notes.push('sizes were measured against stand-in base images built from Debian packages');
  const explanation: Explanation = {
    ref: ctx.ref,
    id: facts.id,
    size: facts.size,
    user: facts.user,
    standIn,
    layers: layerViews(scanned, layers),
    findings: findings.map((f) => ({ ...f, ...advise(f, layers), description: describeFinding(f, layers) })),
    build: ctx.build,
    complete: !facts.scanProblem && (ctx.build?.ok ?? true),
    notes,
    durationMs: Date.now() - (ctx.started ?? Date.now()),
  };
  const order = new Map<Finding, number>(findings.map((f, i) => [f, i]));
  const findingsOf = (file: FileEntry) => filesOf(file).map((f) => order.get(f)!);
  return { explanation, files: facts.files ?? [], findingsOf };
}

/** The engine's inspect of an image; a one-line CannotGrade when there is no such image. */
export async function inspectOrSay(ref: string) {
  try {
    return await docker().getImage(ref).inspect();
  } catch (err) {
    if (isNotFound(err)) throw new CannotGrade(`there is no image "${ref}" on this engine (\`docker images\` lists them): pull or build it first`);
    throw err;
  }
}

/**
 * Explain a local image. With the Dockerfile that built it, every layer is matched to its
 * instruction; without one, the base image is found by its layers and the rest is named
 * by the image's history.
 */
export async function explainImage(image: string, ctx: Partial<ExplainContext> & { progress?: Progress } = {}): Promise<Explained> {
  const started = ctx.started ?? Date.now();
  const progress = ctx.progress ?? silentProgress;
  const ref = ctx.ref ?? image;
  await requireEngine();
  const info = await inspectOrSay(image);
  progress.stage(`reading the layers (${formatBytes(info.Size)}), streamed from the engine`);
  // The base images are looked for while the engine prepares the layers' stream (seconds, for a large image).
  const [bases, facts] = await Promise.all([
    ctx.df ? [] : findBaseImages(info.Id, info.RootFS?.Layers ?? [], [image, ...(info.RepoTags ?? [])]).catch(() => []),
    inspectImage(info.Id, ctx.df, { scanLimitBytes: Number.POSITIVE_INFINITY, archives: true }),
  ]);
  progress.done();
  if (facts.layers) facts.layers = withBaseImages(facts.layers, bases);
  return explainFacts(facts, { ...ctx, ref, started });
}
