/**
 * `npm run measure` — build every lab's starter and reference solution, and write their
 * sizes, layer counts and the share each layer takes to slides/data/measurements.json,
 * which the decks and the grader's size line read, and each image's explain page and treemap
 * picture (scripts/explain/pictures.ts). Stand-in bases are named as such.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { GradeBuilds } from '../graders/buildkit/grade-builds.js';
import { docker, removeImage, requireEngine } from '../graders/engine/docker.js';
import { CATALOGUE, STAND_IN_LABEL } from '../graders/images/catalogue.js';
import { formatBytes } from '../graders/format/bytes.js';
import { inspectImage } from '../graders/inspect/image.js';
import { allLabs, labDir, solutionDir, type LabDefinition } from '../graders/lab.js';
import { describe, parseDockerfile } from '../graders/lint/dockerfile.js';
import { ensureBaseImages } from '../graders/pipeline/base-images.js';
import { MEASUREMENTS_FILE, type MeasuredBaseImage, type MeasuredImage, type Measurements } from '../graders/pipeline/reference.js';
import { labContextRequest, prepareContext } from '../graders/prepare/context.js';
import { runMain } from '../graders/cli/run-main.js';
import { treemapPictures } from './explain/pictures.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
/** Each image's explain page and its treemap as a picture for the decks. */
const pictures = treemapPictures();

async function measure(
  lab: LabDefinition,
  variant: 'starter' | 'solution',
  dockerfile: string,
  dockerignore?: string,
): Promise<MeasuredImage & { standInBases: string[] }> {
  const context = await prepareContext(labContextRequest(lab, dockerfile, dockerignore));
  const tag = `stagecraft-grade/measure-${lab.id}:${randomBytes(4).toString('hex')}`;
  try {
    const lint = parseDockerfile(context.dockerfileBytes);
    if (!lint.ok) throw new Error(`${dockerfile} does not parse: ${lint.problem.message}`);
    await ensureBaseImages(lint.dockerfile, log);
    // Built as a grade builds it: the same limits, network, fence and build-cache ledger.
    const build = await GradeBuilds.once({ network: lab.buildNetwork ? 'default' : 'none', buildTimeoutMs: 15 * 60_000 }, context.dir, tag);
    if (!build.ok) throw new Error(`${dockerfile} did not build: ${build.error}`);
    const image = await inspectImage(build.imageId!, lint.dockerfile, Number.MAX_SAFE_INTEGER);
    log(`  wrote ${await pictures.add(lab.id, variant, image, lint.dockerfile, dockerfile)}`);
    const layers = image.layers ?? [];
    return {
      size: image.size,
      standInBases: image.standInBases,
      layers: layers.map((l) => ({
        createdBy: l.instruction ? describe(l.instruction) : `base image ${l.baseImage ?? '?'}`,
        bytes: l.bytes,
        share: image.size ? Number((l.bytes / image.size).toFixed(4)) : 0,
        line: l.instruction?.line,
      })),
    };
  } finally {
    await removeImage(tag).catch(() => undefined);
    await context.remove();
  }
}

/** Every catalogue image that is here, with its size and traits (and scratch, which is nothing). */
async function baseImages(): Promise<MeasuredBaseImage[]> {
  const rows: MeasuredBaseImage[] = [{ ref: 'scratch', size: 0, standIn: false, shell: false, libc: 'none', packageManager: 'none' }];
  for (const img of CATALOGUE.filter((c) => !c.variantOf)) {
    const info = await docker()
      .getImage(img.ref)
      .inspect()
      .catch(() => undefined);
    if (info) rows.push({ ref: img.ref, size: info.Size, standIn: Boolean(info.Config?.Labels?.[STAND_IN_LABEL]), ...img.traits });
  }
  return rows.sort((a, b) => a.size - b.size);
}

await runMain(async () => {
  await requireEngine();
  const result: Measurements = { measuredAt: new Date().toISOString(), standInBases: [], baseImages: await baseImages(), labs: {} };
  const standIns = new Set<string>();
  for (const lab of await allLabs()) {
    log(`${lab.id}: building the starter and the solution`);
    const starter = await measure(lab, 'starter', path.join(labDir(lab), 'Dockerfile'));
    const solution = await measure(lab, 'solution', path.join(solutionDir(lab), 'Dockerfile'), path.join(solutionDir(lab), '.dockerignore'));
    for (const s of [...starter.standInBases, ...solution.standInBases]) standIns.add(s);
    const strip = ({ standInBases: _, ...m }: MeasuredImage & { standInBases: string[] }): MeasuredImage => m;
    result.labs[lab.id] = { starter: strip(starter), solution: strip(solution) };
    console.log(
      `${lab.id.padEnd(16)} starter ${formatBytes(starter.size).padStart(8)} (${starter.layers.length} layers)  →  solution ${formatBytes(solution.size).padStart(8)} (${solution.layers.length} layers)`,
    );
  }
  result.standInBases = [...standIns].sort();
  await mkdir(path.dirname(MEASUREMENTS_FILE), { recursive: true });
  await writeFile(MEASUREMENTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  log(
    `wrote ${path.relative(process.cwd(), MEASUREMENTS_FILE)}${result.standInBases.length ? ` (measured against stand-ins: ${result.standInBases.join(', ')})` : ''}`,
  );
  await pictures.close();
});
