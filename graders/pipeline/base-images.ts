import { imageExists } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { catalogueEntry, type CatalogueImage } from '../images/catalogue.js';
import { externalImages, type ParsedDockerfile } from '../lint/dockerfile.js';
import { firstLine } from '../format/text.js';

/** The catalogue images this Dockerfile starts FROM (or copies from) that are not here yet, asked of the engine at once. */
export async function missingBaseImages(df: ParsedDockerfile): Promise<CatalogueImage[]> {
  const inCatalogue = externalImages(df).flatMap((ref) => {
    const entry = catalogueEntry(ref);
    return entry ? [{ ref, entry }] : [];
  });
  const here = await Promise.all(inCatalogue.map(({ ref }) => imageExists(ref)));
  return inCatalogue.filter((_, i) => !here[i]).map(({ entry }) => entry);
}

/**
 * A fresh machine has no base images yet: fetch the catalogue ones given (pull, or build a
 * stand-in where no registry answers) so the first grade just works.
 */
export async function provideBaseImages(missing: CatalogueImage[], log: (line: string) => void): Promise<void> {
  if (missing.length === 0) return;
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
}

/**
 * The catalogue images this Dockerfile needs, fetched where they are missing. Images
 * outside the catalogue are left to the build, which fails clearly if they are missing.
 */
export async function ensureBaseImages(df: ParsedDockerfile, log: (line: string) => void): Promise<void> {
  await provideBaseImages(await missingBaseImages(df), log);
}
