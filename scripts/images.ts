/**
 * `npm run images` — make sure every base image of the catalogue is here.
 *   npm run images                 pull each, or build a stand-in where no registry answers
 *   npm run images -- --stand-ins  build stand-ins without trying a registry
 *   npm run images -- list         what the catalogue holds and what is here (missing, stale)
 *   npm run images -- save FILE    write the whole catalogue to one tarball for offline classrooms
 *   npm run images -- load FILE    load such a tarball
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import pc from 'picocolors';
import { requireEngine, docker } from '../graders/engine/docker.js';
import { CATALOGUE, STAND_IN_LABEL } from '../graders/images/catalogue.js';
import { formatBytes } from '../graders/format/bytes.js';
import { loadImages, saveImages } from './images/archive.js';
import { ensureImages, staleStandIns } from '../graders/standins/provision.js';
import { runMain } from '../graders/cli/run-main.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

const program = new Command('images')
  .description('provision the base images of the stagecraft catalogue')
  .option('--stand-ins', 'build stand-ins from Debian packages without trying a registry', Boolean(process.env.STAGECRAFT_STAND_INS))
  .action(async (opts: { standIns: boolean }) => {
    await requireEngine();
    const origins = await ensureImages(CATALOGUE, { standIns: opts.standIns, log });
    for (const [ref, origin] of origins) log(`${pc.green('✓')} ${ref} ${pc.dim(`(${origin})`)}`);
  });

program
  .command('list')
  .description('show the catalogue and which images are here')
  .action(async () => {
    await requireEngine();
    const stale = await staleStandIns();
    for (const img of CATALOGUE) {
      const info = await docker()
        .getImage(img.ref)
        .inspect()
        .catch(() => undefined);
      const state = !info
        ? pc.yellow('missing')
        : stale.has(img.ref)
          ? `${pc.yellow('stale')} (a stand-in from another recipe, or built on other copies of its base images than the ones here: \`npm run images\` builds it again, or load a kit again)`
          : `${formatBytes(info.Size)}${info.Config?.Labels?.[STAND_IN_LABEL] ? ' stand-in' : ''} (upstream ≈ ${formatBytes(img.upstreamBytes)})`;
      console.log(`${img.ref.padEnd(40)} ${state}  ${pc.dim(img.purpose)}`);
    }
  });

program
  .command('save <file>')
  .description('write every catalogue image to one tarball (.tar or .tar.gz)')
  .action(async (file: string) => {
    await requireEngine();
    const missing = [];
    for (const img of CATALOGUE)
      if (
        !(await docker()
          .getImage(img.ref)
          .inspect()
          .catch(() => undefined))
      )
        missing.push(img.ref);
    if (missing.length) throw new Error(`not here yet: ${missing.join(', ')}; run \`npm run images\` first`);
    await saveImages(
      CATALOGUE.map((i) => i.ref),
      file,
    );
    log(`saved ${CATALOGUE.length} images to ${file}`);
  });

program
  .command('load <file>')
  .description('load a tarball written by `save`')
  .action(async (file: string) => {
    if (!existsSync(file)) throw new Error(`no such file: ${file}`);
    await requireEngine();
    await loadImages(
      file,
      CATALOGUE.map((i) => i.ref),
    );
    log(`loaded ${file}`);
  });

await runMain(() => program.parseAsync(process.argv));
