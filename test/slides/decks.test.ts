import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { load } from '@slidev/parser/fs';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../graders/lab.js';
import { formatBytes } from '../../graders/format/bytes.js';
import { decks, SLIDES_DIR, SLIDES_OUT } from '../../scripts/slides/decks.js';
import { serveFolder } from '../helpers/static-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const SHOTS = path.join(SLIDES_OUT, 'screenshots');
let browser: Browser;
let site: Awaited<ReturnType<typeof serveFolder>>;

beforeAll(async () => {
  // Every deck builds (the same command presenters use), then a real Chromium opens them.
  const build = spawnSync('npm', ['run', 'slides:build'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(build.status, build.stderr.split('\n').slice(-15).join('\n')).toBe(0);
  expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium`).toBe(true);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  site = await serveFolder(SLIDES_OUT);
  await mkdir(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  site?.server.close();
});

/** Share of pixels that differ from the top-left one: 0 for a blank page. */
function inkShare(png: Buffer): number {
  const img = PNG.sync.read(png);
  const [r, g, b] = [img.data[0], img.data[1], img.data[2]];
  let ink = 0;
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i] !== r || img.data[i + 1] !== g || img.data[i + 2] !== b) ink++;
  return ink / (img.width * img.height);
}

describe('the built decks in a real headless Chromium', () => {
  it('the index lists every deck', async () => {
    const index = await readFile(path.join(SLIDES_OUT, 'index.html'), 'utf8');
    for (const deck of decks()) expect(index).toContain(`href="${deck.name}/index.html"`);
  });

  it.each(decks().map((d) => [d.name, d] as const))('%s: every slide renders without console or page errors', async (name) => {
    const { slides } = await load(SLIDES_DIR, path.join(SLIDES_DIR, `${name}.md`));
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text().slice(0, 300)}`));
    page.on('pageerror', (e) => problems.push(`page error: ${String(e).slice(0, 300)}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(`${site.url}/${name}/index.html#/1`, { waitUntil: 'networkidle' });
    await page.waitForSelector('.slidev-page', { timeout: 20_000 });
    const shot = await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
    expect(inkShare(shot), `${name}: the first slide looks blank`).toBeGreaterThan(0.005);
    for (let n = 2; n <= slides.length; n++) {
      await page.evaluate((to) => (location.hash = `#/${to}`), n);
      await page.waitForFunction((to) => location.hash === `#/${to}` && document.querySelector('.slidev-page') !== null, n);
      await page.waitForTimeout(150);
    }
    await page.waitForLoadState('networkidle');
    await page.close();
    expect(problems).toEqual([]);
  });

  it('the size chart shows the sizes npm run measure wrote, and says how they were measured', async () => {
    const data = JSON.parse(await readFile(path.join(REPO_ROOT, 'slides', 'data', 'measurements.json'), 'utf8'));
    const { slides } = await load(SLIDES_DIR, path.join(SLIDES_DIR, '01-why-images-bloat.md'));
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${site.url}/01-why-images-bloat/index.html#/${slides.length}`, { waitUntil: 'networkidle' });
    await page.waitForSelector('.size-chart');
    const text = await page.locator('.size-chart').innerText();
    for (const [lab, m] of Object.entries(data.labs) as [string, { starter: { size: number }; solution: { size: number } }][]) {
      expect(text).toContain(lab);
      expect(text).toContain(`starter ${formatBytes(m.starter.size)}`);
      expect(text).toContain(`solution ${formatBytes(m.solution.size)}`);
    }
    if (data.standInBases.length) expect(text).toMatch(/stand-in base images/);
    await page.close();
  });
});
