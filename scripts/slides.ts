/**
 * The decks, for presenters:
 *   npm run slides [-- <deck>]   serve the full workshop (or one module: 02, multi-stage…) for presenting
 *   npm run slides:build         every deck under dist/slides/: its static site (<deck>/), its PDF
 *                                handout (<deck>.pdf, one page per slide), its contact sheet
 *                                (<deck>.png, every slide at a glance), and an index page
 *   npm run slides:pdf [-- <deck>…]  the same for the decks named (all when none is)
 *   npm run slides:facts         only write slides/data/labs.json and slide-index.json (each of the above does it first)
 * PDFs and contact sheets come from the built decks, rendered by the system's Chromium.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { runMain } from '../graders/cli/run-main.js';
import { CannotGrade } from '../graders/engine/errors.js';
import { formatDuration } from '../graders/format/bytes.js';
import { htmlText } from '../graders/format/text.js';
import { REPO_ROOT } from '../graders/kit/locations.js';
import { launchChromium, requireChromium } from './chromium.js';
import { decks, findDeck, slideCount, SLIDES_OUT, type Deck } from './slides/decks.js';
import { writeFacts } from './slides/facts.js';
import { writeHandouts } from './slides/handouts.js';
import { routeBuiltDecks } from './slides/site.js';

const SLIDEV = path.join(REPO_ROOT, 'node_modules', '.bin', 'slidev');

function slidev(args: string[], quiet = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(SLIDEV, args, {
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`slidev ${args[0]} ${path.basename(args[1] ?? '')} failed (exit ${code}):\n${output.trim().split('\n').slice(-8).join('\n')}`)),
    );
  });
}

/** Run `work` over the decks, `width` at a time (Vite builds use about one core each). */
async function eachDeck(all: Deck[], width: number, work: (deck: Deck) => Promise<void>): Promise<void> {
  const queue = [...all];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let deck = queue.shift(); deck; deck = queue.shift()) await work(deck);
    }),
  );
}

/** dist/slides/index.html: every deck, with its contact sheet and PDF when they exist. */
async function writeIndex(all: Deck[]): Promise<void> {
  const items = all
    .map((d) => {
      const sheet = existsSync(path.join(SLIDES_OUT, `${d.name}.png`)) ? ` · <a href="${d.name}.png">every slide at a glance</a>` : '';
      const pdf = existsSync(path.join(SLIDES_OUT, `${d.name}.pdf`)) ? ` · <a href="${d.name}.pdf">PDF</a>` : '';
      return `    <li><a href="${d.name}/index.html">${htmlText(d.title)}</a> <small>(${d.name})</small>${sheet}${pdf}</li>`;
    })
    .join('\n');
  await writeFile(
    path.join(SLIDES_OUT, 'index.html'),
    `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>stagecraft — the decks</title>\n<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}small{opacity:.6}</style></head>\n<body>\n  <h1>stagecraft — the decks</h1>\n  <p>Docker multi-stage builds, a workshop. Start with the full workshop, or open one module.</p>\n  <ul>\n${items}\n  </ul>\n</body>\n</html>\n`,
  );
}

/** The lab ceilings and the slide index the decks and hints read, brought up to date. */
async function facts(): Promise<void> {
  for (const file of await writeFacts()) process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

/** Build the decks' sites, then their PDFs and contact sheets, then the index of every deck. */
async function buildDecks(chosen: Deck[]): Promise<void> {
  requireChromium();
  await facts();
  await mkdir(SLIDES_OUT, { recursive: true });
  // One build at a time: Slidev writes its entry page to slides/index.html for the deck it
  // builds and removes it when done, so two builds side by side take each other's entry away.
  await eachDeck(chosen, 1, async (deck) => {
    const started = Date.now();
    await slidev(['build', deck.file, '--out', path.join(SLIDES_OUT, deck.name), '--base', './'], true);
    process.stderr.write(`built ${deck.name} (${formatDuration(Date.now() - started)})\n`);
  });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    await routeBuiltDecks(context);
    await eachDeck(chosen, 2, async (deck) => {
      const started = Date.now();
      const slides = await slideCount(deck);
      await writeHandouts(context, deck, slides, path.join(SLIDES_OUT, deck.name));
      process.stderr.write(
        `wrote ${path.relative(process.cwd(), path.join(SLIDES_OUT, deck.name))}.pdf and .png (${slides} slides, ${formatDuration(Date.now() - started)})\n`,
      );
    });
  } finally {
    await browser.close();
  }
  await writeIndex(decks());
  process.stderr.write(`wrote ${path.relative(process.cwd(), path.join(SLIDES_OUT, 'index.html'))}\n`);
}

function deckNamed(name: string): Deck {
  const deck = findDeck(name);
  if (!deck)
    throw new CannotGrade(
      `no deck "${name}"; the decks are: ${decks()
        .map((d) => d.name)
        .join(', ')}`,
    );
  return deck;
}

const program = new Command('slides').description('serve, build and export the stagecraft decks');

program
  .command('serve', { isDefault: true })
  .argument('[deck]', 'a module (02, multi-stage, 02-multi-stage) or workshop', 'workshop')
  .option('--port <port>', 'port to serve on', '3030')
  .action(async (name: string, opts: { port: string }) => {
    const deck = deckNamed(name);
    await facts();
    await slidev([deck.file, '--port', opts.port]);
  });

program
  .command('build')
  .description('build every deck: dist/slides/<deck>/, <deck>.pdf, <deck>.png, and index.html')
  .action(() => buildDecks(decks()));

program
  .command('pdf')
  .description('build the decks named (all when none is), with their PDF handouts and contact sheets')
  .argument('[decks...]', 'modules (02, multi-stage, 02-multi-stage) or workshop')
  .action((names: string[]) => buildDecks(names.length ? names.map(deckNamed) : decks()));

program
  .command('facts')
  .description('write slides/data/labs.json (lab ceilings, from the graders) and slide-index.json (module slide → workshop slide)')
  .action(facts);

await runMain(() => program.parseAsync(process.argv));
