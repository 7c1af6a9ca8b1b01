import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { load } from '@slidev/parser/fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../graders/format/bytes.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { launchChromium } from '../../scripts/chromium.js';
import { decks, SLIDES_DIR, SLIDES_OUT } from '../../scripts/slides/decks.js';
import { openPrintView } from '../../scripts/slides/handouts.js';
import { deckUrl, routeBuiltDecks } from '../../scripts/slides/site.js';
import { dimmedCode, inspectSlide, shimNames } from './slide-inspector.js';

const SCREEN = { width: 1280, height: 720 };
/** What the slides' measured-figure components draw (slides/components/). */
const MEASURED = '.size-chart, .history, .layer-shares, .base-images, .alpine, .claims, .measured-size, .measured-factor, .treemap';
let browser: Browser;
let context: BrowserContext;

/** Run an npm script, keeping the tail of its output for the failure message. */
function npm(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-6000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (status) => resolve({ status, output }));
  });
}

beforeAll(async () => {
  // The command presenters use: every deck built, with its PDF handout and contact sheet.
  const build = await npm(['slides:build']);
  expect(build.status, build.output.split('\n').slice(-15).join('\n')).toBe(0);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: SCREEN });
  await routeBuiltDecks(context);
  await shimNames(context);
  // Nine Vite builds and nine print views: over ten minutes on a shared 2-core machine.
}, 1_800_000);

afterAll(async () => {
  await browser?.close();
});

const slidesOf = async (deck: string) => (await load(SLIDES_DIR, path.join(SLIDES_DIR, `${deck}.md`))).slides;

/** Share of pixels that differ from the top-left one: 0 for a blank page. */
function inkShare(png: Buffer): number {
  const img = PNG.sync.read(png);
  const [r, g, b] = [img.data[0], img.data[1], img.data[2]];
  let ink = 0;
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i] !== r || img.data[i + 1] !== g || img.data[i + 2] !== b) ink++;
  return ink / (img.width * img.height);
}

/** Open a deck in play mode at 1280×720, recording every console error, page error and failed request. */
async function openDeck(deck: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text().slice(0, 300)}`));
  page.on('pageerror', (e) => errors.push(`page error: ${String(e).slice(0, 300)}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(deckUrl(deck), { waitUntil: 'networkidle' });
  await page.waitForSelector('.slidev-page', { timeout: 20_000 });
  return page;
}

async function showSlide(page: Page, n: number): Promise<void> {
  await page.evaluate((to) => (location.hash = `#/${to}`), n);
  await page.waitForFunction((to) => {
    const shown = [...document.querySelectorAll('.slidev-page')].filter((p) => getComputedStyle(p).display !== 'none');
    // Drawn, not just not loading: until its code loads, a slide's page is empty.
    return (
      location.hash === `#/${to}` && shown.length === 1 && Boolean(shown[0]!.firstElementChild) && !document.querySelector('.slidev-page .slidev-slide-loading')
    );
  }, n);
  // Fonts, then two frames: what the projector shows once the slide has settled.
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))));
}

describe('the built decks, as a presenter sees them at 1280×720 in Chromium', () => {
  it('the index links every deck and its contact sheet; each sheet shows every slide', async () => {
    const index = await readFile(path.join(SLIDES_OUT, 'index.html'), 'utf8');
    for (const deck of decks()) {
      expect(index).toContain(`href="${deck.name}/index.html"`);
      expect(index).toContain(`href="${deck.name}.png"`);
      const sheet = PNG.sync.read(await readFile(path.join(SLIDES_OUT, `${deck.name}.png`)));
      // Four 320×180 thumbnails a row, each with its number under it.
      const rows = Math.ceil((await slidesOf(deck.name)).length / 4);
      expect(sheet.width, deck.name).toBe(1360);
      expect(sheet.height, `${deck.name}: ${rows} rows of thumbnails`).toBeGreaterThan(rows * 200);
      expect(sheet.height, `${deck.name}: ${rows} rows of thumbnails`).toBeLessThan(rows * 220 + 80);
    }
  });

  it.concurrent.each(decks().map((d) => [d.name] as const))(
    '%s: every slide fits its frame, its code is readable, nothing covers it, no errors',
    async (deck) => {
      const slides = await slidesOf(deck);
      const errors: string[] = [];
      const problems: string[] = [];
      const page = await openDeck(deck, errors);
      try {
        for (const slide of slides) {
          const n = slide.index + 1;
          await showSlide(page, n);
          for (const p of await inspectSlide(page)) problems.push(`${deck} slide ${n} (${slide.title}): ${p}`);
          // A measured figure never without its source, in body-size text (the `measured` layout).
          if ((await page.locator(`.slidev-page-${n} :is(${MEASURED})`).count()) && !(await page.locator(`.slidev-page-${n} .measured-source`).count()))
            problems.push(`${deck} slide ${n} (${slide.title}): shows measured sizes without saying how they were measured (use layout: measured)`);
        }
        const last = await page.screenshot();
        expect(inkShare(last), `${deck}: the last slide looks blank`).toBeGreaterThan(0.005);
      } finally {
        await page.close();
      }
      expect(problems).toEqual([]);
      expect(errors, `${deck}: console errors, page errors or failed requests`).toEqual([]);
    },
  );

  it('presenter view: the notes of every module are readable, with no go-to list over them', async () => {
    const page = await openDeck('workshop', []);
    try {
      await page.goto(deckUrl('workshop').replace('#/1', '#/presenter/3'), { waitUntil: 'networkidle' });
      await page.waitForSelector('.slidev-note, [class*="note"]', { timeout: 20_000 });
      const covering = await page.evaluate(() =>
        [...document.querySelectorAll('#slidev-goto-dialog *')]
          .filter((el) => {
            const r = el.getBoundingClientRect();
            return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth && r.width * r.height > 16 && (el.textContent ?? '').trim();
          })
          .map((el) => (el.textContent ?? '').trim().slice(0, 60)),
      );
      expect(covering).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('print view (the PDF handout): stepped code shows every step at full colour, no line dimmed', async () => {
    // Module 4's "Production dependencies only" steps through three stages ({1-6|8-11|13-20}):
    // the print view shows its last step, and Slidev marks the other lines as not highlighted.
    const deck = '04-node-python';
    const slides = await slidesOf(deck);
    const stepped = slides.findIndex((s) => s.title === 'Production dependencies only');
    expect(stepped, `${deck}: the slide "Production dependencies only"`).toBeGreaterThanOrEqual(0);
    const page = await openPrintView(context, deck, slides.length);
    try {
      await page.emulateMedia({ media: 'screen' }); // as the PDF is printed (scripts/slides/handouts.ts)
      expect(await page.evaluate(() => document.documentElement.classList.contains('print')), 'Slidev print view').toBe(true);
      await page.evaluate((i) => document.querySelectorAll('.print-slide-container')[i]!.setAttribute('data-sc-stepped', ''), stepped);
      const one = await dimmedCode(page, '[data-sc-stepped]');
      expect(one.lines, 'the stepped code block, every line of it').toBeGreaterThanOrEqual(19);
      expect(one.dimmed, "lines of the other steps, which Slidev marks and the deck's CSS must not fade").toBeGreaterThan(0);
      expect(one.problems).toEqual([]);
      // And every other code block of the deck, stepped or not.
      const all = await dimmedCode(page, '#print-content');
      expect(all.problems, `${deck}: dimmed code in the print view`).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("presenter view: the demo scripts' commands wrap inside the notes, none runs off the panel", async () => {
    // Every live demo whose notes carry a command block (indented lines): its first line tells the notes have loaded.
    const demos = (await slidesOf('workshop'))
      .filter((s) => s.title?.startsWith('Live demo'))
      .map((s) => ({ n: s.index + 1, title: s.title!, first: /^ {4}(\S.*)$/m.exec(s.note ?? '')?.[1]?.trim() }))
      .filter((d): d is { n: number; title: string; first: string } => Boolean(d.first));
    expect(demos.length, 'live demos with commands in their notes').toBeGreaterThanOrEqual(4);
    const page = await context.newPage();
    const overflowing: string[] = [];
    try {
      for (const demo of demos) {
        await page.goto(deckUrl('workshop').replace('#/1', `#/presenter/${demo.n}`), { waitUntil: 'networkidle' });
        await page.waitForFunction(
          (first) => [...document.querySelectorAll('.slidev-note pre')].some((pre) => (pre.textContent ?? '').includes(first)),
          demo.first,
          { timeout: 20_000 },
        );
        await page.evaluate(() => document.fonts.ready);
        const wide = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>('.slidev-note, .slidev-note pre')]
            .filter((el) => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
            .map(
              (el) => `<${el.tagName.toLowerCase()}> ${el.scrollWidth}px of content in ${el.clientWidth}px: "${(el.textContent ?? '').trim().slice(0, 60)}"`,
            ),
        );
        for (const w of wide) overflowing.push(`slide ${demo.n} (${demo.title}): ${w}`);
      }
    } finally {
      await page.close();
    }
    expect(overflowing, 'notes that scroll sideways: a command cut off at the panel edge').toEqual([]);
  });

  it('the size chart shows the sizes npm run measure wrote, and says how they were measured', async () => {
    const data = JSON.parse(await readFile(path.join(REPO_ROOT, 'slides', 'data', 'measurements.json'), 'utf8'));
    const slides = await slidesOf('01-why-images-bloat');
    const chart = slides.findIndex((s) => s.title?.startsWith('Measured: the labs'));
    expect(chart).toBeGreaterThan(0);
    const page = await openDeck('01-why-images-bloat', []);
    try {
      await showSlide(page, chart + 1);
      const text = await page.locator('.slidev-page:visible .size-chart').innerText();
      for (const [lab, m] of Object.entries(data.labs) as [string, { starter: { size: number }; solution: { size: number } }][]) {
        expect(text).toContain(lab);
        expect(text).toContain(`starter ${formatBytes(m.starter.size)}`);
        expect(text).toContain(`solution ${formatBytes(m.solution.size)}`);
      }
      const source = await page.locator('.slidev-page:visible .measured-source').innerText();
      if (data.standInBases.length) expect(source).toMatch(/stand-in images built from Debian packages/);
      // Body size, not small print: the same as a bullet's text.
      expect(await page.locator('.slidev-page:visible .measured-source').evaluate((el) => getComputedStyle(el).fontSize)).toBe('21px');
    } finally {
      await page.close();
    }
  });

  it.each(decks().map((d) => [d.name] as const))('%s.pdf: one page per slide, none blank, none broken', async (deck) => {
    const pdf = path.join(SLIDES_OUT, `${deck}.pdf`);
    expect(existsSync(pdf), `${pdf} was not written`).toBe(true);
    const slides = await slidesOf(deck);
    const info = await run('pdfinfo', [pdf]);
    expect(Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]), `pages in ${deck}.pdf`).toBe(slides.length);
    const text = await run('pdftotext', [pdf, '-']);
    expect(text, `${deck}.pdf has a slide that did not load`).not.toMatch(/Failed to fetch this slide|An error occurred on this slide/);
    // Every page rendered small: a page with nothing on it is one colour.
    const dir = path.join(SLIDES_OUT, 'pdf-pages', deck);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await run('pdftoppm', ['-r', '12', '-png', pdf, path.join(dir, 'page')]);
    const pages = (await readdir(dir)).sort();
    const blank: string[] = [];
    for (const [i, file] of pages.entries()) if (inkShare(await readFile(path.join(dir, file))) < 0.01) blank.push(`page ${i + 1} (${slides[i]?.title})`);
    expect(blank, `blank pages in ${deck}.pdf`).toEqual([]);
  });
});

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message} (apt-get install poppler-utils)`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.slice(-500)}`))));
  });
}
