/**
 * The decks, for presenters:
 *   npm run slides [-- <deck>]   serve the full workshop (or one module: 02, multi-stage…) for presenting
 *   npm run slides:build         every deck as a static site under dist/slides/, a contact sheet
 *                                (dist/slides/<deck>.png: every slide at a glance) and an index page
 *   npm run slides:pdf [-- <deck>…]  every deck (or those named) as a PDF handout under dist/slides/,
 *                                one page per slide, with the system's Chromium
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from '@slidev/parser/fs';
import { Command } from 'commander';
import { runMain } from '../graders/cli/run-main.js';
import { CannotGrade } from '../graders/engine/errors.js';
import { REPO_ROOT } from '../graders/lab.js';
import { CHROMIUM, launchChromium, requireChromium } from './slides/chromium.js';
import { writeContactSheet } from './slides/contact-sheet.js';
import { decks, findDeck, SLIDES_DIR, SLIDES_OUT, type Deck } from './slides/decks.js';
import { serveFolder } from './slides/static-server.js';

const SLIDEV = path.join(REPO_ROOT, 'node_modules', '.bin', 'slidev');

function slidev(args: string[], quiet = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(SLIDEV, args, { stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`slidev ${args[0]} ${path.basename(args[1] ?? '')} failed (exit ${code}):\n${output.trim().split('\n').slice(-8).join('\n')}`))));
  });
}

/** Run `work` over the decks, `width` at a time (Vite builds use about one core each). */
async function eachDeck(all: Deck[], width: number, work: (deck: Deck) => Promise<void>): Promise<void> {
  const queue = [...all];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let deck = queue.shift(); deck; deck = queue.shift()) await work(deck);
  }));
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The number of slides in a deck, as Slidev counts them (imported chapters included). */
export const slideCount = async (deck: Deck) => (await load(SLIDES_DIR, deck.file)).slides.length;

/** dist/slides/index.html: every deck, with its contact sheet and PDF when they exist. */
async function writeIndex(all: Deck[]): Promise<void> {
  const items = all
    .map((d) => {
      const sheet = existsSync(path.join(SLIDES_OUT, `${d.name}.png`)) ? ` · <a href="${d.name}.png">every slide at a glance</a>` : '';
      const pdf = existsSync(path.join(SLIDES_OUT, `${d.name}.pdf`)) ? ` · <a href="${d.name}.pdf">PDF</a>` : '';
      return `    <li><a href="${d.name}/index.html">${escape(d.title)}</a> <small>(${d.name})</small>${sheet}${pdf}</li>`;
    })
    .join('\n');
  await writeFile(
    path.join(SLIDES_OUT, 'index.html'),
    `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>stagecraft — the decks</title>\n<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}small{opacity:.6}</style></head>\n<body>\n  <h1>stagecraft — the decks</h1>\n  <p>Docker multi-stage builds, a workshop. Start with the full workshop, or open one module.</p>\n  <ul>\n${items}\n  </ul>\n</body>\n</html>\n`,
  );
}

/** dist/slides/<deck>.png for every built deck: one Chromium, the built sites served locally. */
async function writeContactSheets(all: Deck[]): Promise<void> {
  const browser = await launchChromium();
  const site = await serveFolder(SLIDES_OUT);
  try {
    await eachDeck(all, 2, async (deck) => {
      const out = path.join(SLIDES_OUT, `${deck.name}.png`);
      const shown = await writeContactSheet(browser, deck, `${site.url}/${deck.name}/index.html`, await slideCount(deck), out);
      process.stderr.write(`wrote ${path.relative(process.cwd(), out)} (${shown} slides)\n`);
    });
  } finally {
    site.server.close();
    await browser.close();
  }
}

function deckNamed(name: string): Deck {
  const deck = findDeck(name);
  if (!deck) throw new CannotGrade(`no deck "${name}"; the decks are: ${decks().map((d) => d.name).join(', ')}`);
  return deck;
}

const program = new Command('slides').description('serve, build and export the stagecraft decks');

program
  .command('serve', { isDefault: true })
  .argument('[deck]', 'a module (02, multi-stage, 02-multi-stage) or workshop', 'workshop')
  .option('--port <port>', 'port to serve on', '3030')
  .action(async (name: string, opts: { port: string }) => {
    await slidev([deckNamed(name).file, '--port', opts.port]);
  });

program
  .command('build')
  .description('build every deck into dist/slides/<deck>/ and write dist/slides/index.html')
  .action(async () => {
    const all = decks();
    await mkdir(SLIDES_OUT, { recursive: true });
    await eachDeck(all, 2, async (deck) => {
      await slidev(['build', deck.file, '--out', path.join(SLIDES_OUT, deck.name), '--base', './'], true);
      process.stderr.write(`built ${deck.name}\n`);
    });
    await writeContactSheets(all);
    await writeIndex(all);
    process.stderr.write(`wrote ${path.relative(process.cwd(), path.join(SLIDES_OUT, 'index.html'))}\n`);
  });

program
  .command('pdf')
  .description('export every deck (or the decks named) to dist/slides/<deck>.pdf with the system Chromium')
  .argument('[decks...]', 'modules (02, multi-stage, 02-multi-stage) or workshop; all when none is named')
  .action(async (names: string[]) => {
    requireChromium();
    const chosen = names.length ? names.map(deckNamed) : decks();
    await mkdir(SLIDES_OUT, { recursive: true });
    await eachDeck(chosen, 1, async (deck) => {
      const out = path.join(SLIDES_OUT, `${deck.name}.pdf`);
      // One page per slide at the size the decks are checked at; every click shown.
      await slidev(['export', deck.file, '--output', out, '--executable-path', CHROMIUM, '--timeout', '180000', '--wait', '500'], true);
      process.stderr.write(`exported ${path.relative(process.cwd(), out)} (${await slideCount(deck)} slides)\n`);
    });
    await writeIndex(decks());
  });

await runMain(() => program.parseAsync(process.argv));
