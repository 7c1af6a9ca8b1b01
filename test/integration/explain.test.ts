import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePage } from '../../graders/cli/page-file.js';
import { imageExists } from '../../graders/engine/docker.js';
import { explainImage, type Explained } from '../../graders/explain/explain-image.js';
import type { ExplanationJson } from '../../graders/explain/explanation.js';
import { CATALOGUE } from '../../graders/images/catalogue.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { launchChromium } from '../../scripts/chromium.js';
import { BIN, runCli } from '../helpers/cli.js';
import { engineOrFail, leftBehind, NOTHING_LEFT } from '../helpers/engine.js';
import { TOKEN } from '../helpers/explain.js';
import { tempFolder } from '../helpers/folder.js';

/** Run at most `limit` at once: two images stream side by side on a 2-core machine. */
async function inTwos<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all([lane(), lane()]);
  return results;
}

const json = (stdout: string) => JSON.parse(stdout) as ExplanationJson;

/** Wait until `condition` holds; on time-out, fail showing what the process printed. */
async function waitFor(condition: () => boolean, timeoutMs: number, output: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out; the output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let browser: Browser;
let scratch = '';
const explained = new Map<string, Explained>();

beforeAll(async () => {
  await engineOrFail();
  browser = await launchChromium();
  scratch = await tempFolder({});
});
afterAll(async () => {
  await browser?.close();
});

/**
 * Open a page in headless Chromium: no console error, no page error, no request but the
 * page itself. Returns the page, still open, for the caller's checks.
 */
async function openPage(file: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => r.url() !== `file://${file}` && problems.push(`request: ${r.url()}`));
  await page.goto(`file://${file}`);
  await page.waitForSelector('body.ready');
  return { page, problems };
}

/** The treemap as drawn: its top boxes' bytes and areas, and the map's own area. */
async function drawnTreemap(page: Awaited<ReturnType<typeof openPage>>['page']) {
  return page.evaluate(() => {
    const map = document.getElementById('treemap')!;
    const inner = { w: map.clientWidth, h: map.clientHeight };
    const top = [...map.querySelectorAll<HTMLElement>('.box[data-depth="1"]')].map((b) => ({
      size: Number(b.dataset.size),
      area: b.offsetWidth * b.offsetHeight,
      w: parseFloat(b.style.width),
      h: parseFloat(b.style.height),
    }));
    return { inner, top, total: Number(map.dataset.total), boxes: map.querySelectorAll('.box').length };
  });
}

describe('explain every catalogue image', () => {
  it('finds the toolchain in toolchain images, none in runtimes; the layers add up to the image', async () => {
    const missing: string[] = [];
    for (const c of CATALOGUE) if (!(await imageExists(c.ref))) missing.push(c.ref);
    expect(missing, 'catalogue images missing on this engine: run `npm run images`').toEqual([]);

    const results = await inTwos([...CATALOGUE], async (c) => {
      const e = await explainImage(c.ref);
      explained.set(c.ref, e);
      return { c, e: e.explanation };
    });
    for (const { c, e } of results) {
      const toolchains = e.findings.filter((f) => f.kind === 'toolchain').map((f) => f.what);
      if (c.toolchain) expect(toolchains.length, `${c.ref} is a toolchain image`).toBeGreaterThan(0);
      else expect(toolchains, `${c.ref} is a runtime image`).toEqual([]);
      // The scan's bytes account for the image's size as the engine counts it (links and records aside).
      const scanned = e.layers.reduce((s, l) => s + l.fileBytes, 0);
      expect(Math.abs(scanned - e.size) / Math.max(e.size, 1), `${c.ref}: scanned ${scanned} of ${e.size}`).toBeLessThanOrEqual(0.02);
      expect(
        e.layers.reduce((s, l) => s + l.size, 0),
        `${c.ref}: the engine's layer sizes`,
      ).toBe(e.size);
      // A base image is the base of its own layers: its name on the top one.
      expect(
        e.layers.every((l) => l.base),
        c.ref,
      ).toBe(true);
      expect(e.layers.at(-1)?.base, c.ref).toBe(c.ref);
      expect(e.complete).toBe(true);
    }
    // Below that, the images it was built on, found by their layers (the stand-ins' recipes).
    const bases = (ref: string) => [...new Set(results.find((r) => r.c.ref === ref)!.e.layers.map((l) => l.base))];
    if (results.every((r) => r.e.standIn)) expect(bases('node:20-trixie')).toEqual(['debian:trixie-slim', 'buildpack-deps:trixie', 'node:20-trixie']);
    const what = (ref: string) => new Set(results.find((r) => r.c.ref === ref)!.e.findings.map((f) => f.what));
    expect(what('golang:1.24-trixie')).toContain('the Go toolchain');
    expect(what('eclipse-temurin:21-jdk')).toContain('the JDK');
    expect(what('node:20-trixie')).toContain('Node.js and npm');
    expect(what('python:3.13-trixie')).toContain("Python's C headers");
    expect(what('python:3.13-trixie')).toContain('gcc');
  });

  it('the page of a big image (node:20-trixie, ~25,000 files) opens in Chromium without errors or requests; its treemap totals the image', async () => {
    const node = explained.get('node:20-trixie');
    expect(node, 'explained in the test above').toBeDefined();
    const file = path.join(scratch, 'node.html');
    await writePage(file, node!);
    expect((await readFile(file)).length).toBeLessThan(4_000_000);
    const { page, problems } = await openPage(file);
    const drawn = await drawnTreemap(page);
    // The bytes the treemap lays out are the image's; each box's area is its share of the map.
    expect(drawn.total).toBe(node!.explanation.size);
    const map = drawn.inner.w * drawn.inner.h;
    for (const b of drawn.top) expect((b.w * b.h) / map).toBeCloseTo(b.size / node!.explanation.size, 2);
    // Only slivers under a pixel are left undrawn.
    expect(drawn.top.reduce((s, b) => s + b.size, 0) / node!.explanation.size).toBeGreaterThan(0.999);
    // Zoom into the largest layer and out again; select a finding and see the rest dim.
    const largest = drawn.top.reduce((a, b) => (b.size > a.size ? b : a));
    await page.click(`.box[data-depth="1"][data-size="${largest.size}"]`, { position: { x: 4, y: 4 } });
    expect(await page.locator('#crumbs button').count()).toBe(2);
    await page.keyboard.press('Escape');
    expect(await page.locator('#crumbs button').count()).toBe(1);
    await page.click('[data-finding="0"]');
    expect(await page.locator('.box.dim').count()).toBeGreaterThan(0);
    expect(await page.locator('.box:not(.dim)').count()).toBeGreaterThan(0);
    await page.close();
    expect(problems).toEqual([]);
  });
});

describe('explain --dockerfile', () => {
  it('names each finding with the Dockerfile line that made it, and not what a runtime base ships', async () => {
    const dir = await tempFolder({
      '.env': `HOOK_TOKEN=${TOKEN}\n`,
      Dockerfile: [
        'FROM node:20-trixie-slim',
        'COPY --from=golang:1.24-trixie /usr/bin/gcc-14 /usr/local/bin/gcc-14',
        'COPY .env /app/.env',
        'RUN mkdir -p /root/.npm/_cacache/content-v2 && head -c 1500000 /dev/urandom > /root/.npm/_cacache/content-v2/blob',
        'RUN head -c 3000000 /dev/urandom > /tmp/big.bin',
        'RUN rm /tmp/big.bin',
        `ENV API_TOKEN=${TOKEN}`,
        'CMD ["node", "-e", "0"]',
        '',
      ].join('\n'),
    });
    const page = path.join(scratch, 'built.html');
    const r = runCli(['explain', '--dockerfile', path.join(dir, 'Dockerfile'), '--json', '--html', page]);
    expect(r.status, r.stderr).toBe(0);
    const out = json(r.stdout);
    // What the Dockerfile's own lines did, and root; node and npm come with node:20-trixie-slim, the app's runtime: not findings.
    expect(out.findings.filter((f) => f.kind === 'toolchain' && f.fromBase)).toEqual([]);
    const found = out.findings.filter((f) => !f.fromBase || f.kind === 'root').map((f) => [f.kind, f.what, f.line]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['toolchain', 'gcc', 2],
        ['secret', 'an environment file', 3],
        ['cache', "npm's cache", 4],
        ['deleted-but-shipped', 'files deleted by a later layer', 5],
        ['secret', 'a credential in the image config (a value shaped like a live token)', 7],
        ['root', 'the image runs as root (its user is not set)', null],
      ]),
    );
    expect(found).toHaveLength(6);
    expect(out.findings.find((f) => f.kind === 'deleted-but-shipped' && !f.fromBase)?.deletedIn).toEqual({ layer: expect.any(Number), line: 6 });
    expect(out.image.layers.filter((l) => l.instruction).map((l) => l.instruction!.line)).toEqual([2, 3, 4, 5, 6]);
    expect(out.image.layers.filter((l) => !l.instruction).every((l) => l.base === 'node:20-trixie-slim')).toBe(true);
    expect(out.build).toMatchObject({ ok: true, error: null });
    expect(r.stdout).not.toContain(TOKEN);

    const { page: p, problems } = await openPage(page);
    expect((await drawnTreemap(p)).total).toBe(out.image.size);
    expect(await p.locator('.finding').count()).toBe(out.findings.length);
    expect(await p.locator('.layer').count()).toBe(out.image.layers.length);
    await p.close();
    expect(problems).toEqual([]);
  });

  it('explains a build that fails as far as it got, says so, and exits 2', async () => {
    const dir = await tempFolder({
      Dockerfile: ['FROM debian:trixie-slim', 'RUN head -c 2000000 /dev/urandom > /blob', 'RUN echo broken && exit 3', 'RUN echo never', ''].join('\n'),
    });
    const r = runCli(['explain', '--dockerfile', path.join(dir, 'Dockerfile'), '--json']);
    expect(r.status).toBe(2);
    const out = json(r.stdout);
    expect(out.complete).toBe(false);
    expect(out.build).toMatchObject({ ok: false, failedLine: 3, explainedUpTo: 2 });
    expect(out.image.layers.at(-1)?.instruction).toMatchObject({ line: 2, text: 'RUN head -c 2000000 /dev/urandom > /blob' });
    expect(out.notes.join('\n')).toMatch(
      /the build failed at line 3 \(`RUN echo broken && exit 3`\).*explained: the image as far as the build got, up to line 2/,
    );
  });
});

describe('explain --dockerfile builds as a grade does', () => {
  it('stops a memory hog at the build memory limit, says which step and why, and explains what came before it', async () => {
    // Allocated in the hog's own memory (awk doubles a string), as the build-memory-hog fixture does: a
    // read() into a buffer past the limit may just fail by itself, before the fence has read the step.
    const hog = `RUN awk 'BEGIN { s = "x"; while (length(s) < 2^30) s = s s; print length(s) }' # ${randomUUID()}`;
    const dir = await tempFolder({ Dockerfile: ['FROM debian:trixie-slim', hog, ''].join('\n') });
    const r = runCli(['explain', '--dockerfile', path.join(dir, 'Dockerfile'), '--json', '--build-memory', '128m']);
    expect(r.status, r.stderr).toBe(2);
    const out = json(r.stdout);
    expect(out.build).toMatchObject({ ok: false, failedLine: 2, explainedUpTo: 1 });
    expect(out.build?.error).toMatch(/RUN awk .* was stopped: it used more than 128 MiB of memory$/);
  });

  it('refuses, in one line, what a grade refuses to protect the machine', async () => {
    const dir = await tempFolder({ Dockerfile: ['FROM debian:trixie-slim', 'RUN --security=insecure echo hi', ''].join('\n') });
    const r = runCli(['explain', '--dockerfile', path.join(dir, 'Dockerfile')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: .*Dockerfile is not built: line 2: .*insecure/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('explain: bad input is one line and exit 2', () => {
  it('no such image', () => {
    const r = runCli(['explain', 'stagecraft-no-such-image:never']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'error: there is no image "stagecraft-no-such-image:never" on this engine (`docker images` lists them): pull or build it first',
    );
    expect(r.stdout).toBe('');
  });

  it('a Dockerfile that does not parse', async () => {
    const dir = await tempFolder({ Dockerfile: 'FROM debian:trixie-slim\nCOPPY . .\n' });
    const r = runCli(['explain', '--dockerfile', path.join(dir, 'Dockerfile')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: .*Dockerfile cannot be built: line 2: unknown instruction COPPY$/);
  });
});

describe('grade --watch (with --html)', () => {
  it('grades, regrades on save, stops a running grade when saved again (nothing left behind), and ends on Ctrl-C', async () => {
    const since = await leftBehind();
    const dir = await tempFolder({});
    const dockerfile = path.join(dir, 'Dockerfile');
    const page = path.join(dir, 'grade.html');
    const solution = await readFile(path.join(REPO_ROOT, 'solutions', 'lab1-go', 'Dockerfile'), 'utf8');
    const slow = solution.replace(/^COPY \. \.$/m, 'COPY . .\nRUN sleep 300');
    await writeFile(dockerfile, 'FROM golang:1.24-trixie AS build\nRUN exit 3\n');
    const child = spawn(process.execPath, [BIN, 'grade', 'lab1', '--dockerfile', dockerfile, '--html', page, '--watch'], {
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const count = (re: RegExp) => out.match(new RegExp(re.source, 'g'))?.length ?? 0;
    try {
      // 1. The first grade: the build fails at once.
      await waitFor(
        () => count(/watching .*: save to grade again/) === 1,
        120_000,
        () => out,
      );
      expect(out).toMatch(/✗ builds /);
      // Its page: the checks, and no image to draw.
      const first = await openPage(page);
      expect(await first.page.locator('.check.fail .id').allTextContents()).toContain('builds');
      expect(await first.page.locator('.note.bad').textContent()).toBe('there is no image to draw: the Dockerfile did not build');
      await first.page.close();
      expect(first.problems).toEqual([]);
      // 2. Saved: a slow build starts; saved again while it runs: it is stopped, the new one graded.
      await writeFile(dockerfile, slow);
      await waitFor(
        () => count(/building the image with BuildKit/) === 2,
        120_000,
        () => out,
      );
      await sleep(3000);
      await writeFile(dockerfile, solution);
      await waitFor(
        () => count(/watching .*: save to grade again/) === 2,
        240_000,
        () => out,
      );
      expect(out).toMatch(/saved while a grade was running: stopping it/);
      expect(out).toMatch(/✗ that grade was stopped .*removed/);
      expect(out.slice(out.lastIndexOf('── '))).toMatch(/5\/5 checks passed — all checks passed/);
      // Nothing of the stopped grade remains; the finished one wrote its page.
      expect(await since.added()).toEqual(NOTHING_LEFT);
      const { page: p, problems } = await openPage(page);
      expect(await p.locator('.check.pass').count()).toBe(5);
      await p.close();
      expect(problems).toEqual([]);
      // 3. Saved unchanged: nothing to do.
      await writeFile(dockerfile, solution);
      await waitFor(
        () => /saved, unchanged since the last grade/.test(out),
        30_000,
        () => out,
      );
      // 4. Ctrl-C while a grade runs: the watcher stops it, cleans up, and ends.
      await writeFile(dockerfile, slow);
      await waitFor(
        () => count(/building the image with BuildKit/) === 4,
        120_000,
        () => out,
      );
      await sleep(3000);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(await since.added()).toEqual(NOTHING_LEFT);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
