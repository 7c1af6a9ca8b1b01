import { imageExists } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { catalogueEntry, type CatalogueImage } from '../images/catalogue.js';
import { externalImages, type ParsedDockerfile } from '../lint/dockerfile.js';
import { firstLine } from '../format/text.js';

/** The images this Dockerfile starts FROM (or copies from) that are not here yet, asked of the engine at once. */
export async function imagesNotHere(df: ParsedDockerfile): Promise<string[]> {
  const refs = externalImages(df);
  const here = await Promise.all(refs.map((ref) => imageExists(ref)));
  return refs.filter((_, i) => !here[i]);
}

/** Of these images, the catalogue's: the kit provides them (a pull, or a stand-in built here). */
export function catalogueImages(refs: string[]): CatalogueImage[] {
  return refs.flatMap((ref) => catalogueEntry(ref) ?? []);
}

/** Of these images, those the build pulls itself (online images, those allowed with --allow-image): it needs a BuildKit session then. */
export function pulledByTheBuild(refs: string[]): string[] {
  return refs.filter((ref) => !catalogueEntry(ref));
}

/**
 * A fresh machine has no base images yet: of the images not here, fetch the catalogue's
 * (pull, or build a stand-in where no registry answers) so the first grade just works.
 * The others (online images, those allowed with --allow-image) are left to the build, which
 * pulls them or fails clearly: `buildPulls` says it will have to.
 */
export async function provideBaseImages(absent: string[], log: (line: string) => void): Promise<{ buildPulls: boolean }> {
  const missing = catalogueImages(absent);
  const buildPulls = pulledByTheBuild(absent).length > 0;
  if (missing.length === 0) return { buildPulls };
  log(`base images not here yet: ${missing.map((m) => m.ref).join(', ')} — fetching them once (\`npm run images\` does all of them)`);
  try {
    // Provisioning (zx, mmdebstrap, the stand-in recipes) is loaded only when an image is missing.
    const { ensureImages } = await import('../standins/provision.js');
    await ensureImages(missing, { standIns: Boolean(process.env.STAGECRAFT_STAND_INS), log });
  } catch (err) {
    throw new CannotGrade(
      `could not provide the base image(s) ${missing.map((m) => m.ref).join(', ')}: ${firstLine(err)}; run \`npm run images\` and try again`,
    );
  }
  return { buildPulls };
}

/** The images this Dockerfile needs, provided as provideBaseImages does. */
export async function ensureBaseImages(df: ParsedDockerfile, log: (line: string) => void): Promise<{ buildPulls: boolean }> {
  return provideBaseImages(await imagesNotHere(df), log);
}
