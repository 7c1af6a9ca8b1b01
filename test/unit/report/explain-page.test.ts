import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPageTarget, writePage } from '../../../graders/cli/page-file.js';
import { watchedFiles } from '../../../graders/cli/watch.js';
import type { Explained } from '../../../graders/explain/explain-image.js';
import { buildTree, DELETED, KIND_BITS, MAX_NODES, type TreeNode } from '../../../graders/explain/treemap.js';
import type { FileEntry } from '../../../graders/inspect/layers.js';
import { htmlText } from '../../../graders/format/text.js';
import { slideReference } from '../../../graders/kit/slide-ref.js';
import { findLab } from '../../../graders/lab.js';
import { CLIENT_JS } from '../../../graders/report/html/client.js';
import { PAGE_MARK, renderPage } from '../../../graders/report/html/page.js';
import { SQUARIFY_JS } from '../../../graders/report/html/squarify.js';
import { explainEverything } from '../../helpers/explain.js';

type Rect = [number, number, number, number];
const squarify = new Function(`${SQUARIFY_JS}; return squarify;`)() as (values: number[], x: number, y: number, w: number, h: number) => Rect[];

function* nodesOf(node: TreeNode): Generator<TreeNode> {
  yield node;
  for (const c of node.c ?? []) yield* nodesOf(c);
}

describe("squarify (the page's treemap layout)", () => {
  const cases: [string, number[]][] = [
    ['one value', [42]],
    ["the paper's example", [6, 6, 4, 3, 2, 2, 1]],
    ['a giant and dust', [1e9, 5e6, 3e3, 10, 1]],
    ['many similar', Array.from({ length: 60 }, (_, i) => 100 - i)],
  ];
  it.each(cases)('%s: fills the rectangle, each area in proportion, no overlap', (_, values) => {
    const [x0, y0, w, h] = [10, 20, 800, 500];
    const rects = squarify(values, x0, y0, w, h);
    const total = values.reduce((a, b) => a + b, 0);
    let area = 0;
    rects.forEach(([x, y, rw, rh], i) => {
      expect(x).toBeGreaterThanOrEqual(x0 - 1e-6);
      expect(y).toBeGreaterThanOrEqual(y0 - 1e-6);
      expect(x + rw).toBeLessThanOrEqual(x0 + w + 1e-6);
      expect(y + rh).toBeLessThanOrEqual(y0 + h + 1e-6);
      expect((rw * rh) / (w * h)).toBeCloseTo(values[i]! / total, 6);
      area += rw * rh;
    });
    expect(area).toBeCloseTo(w * h, 3);
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const [ax, ay, aw, ah] = rects[i]!;
        const [bx, by, bw, bh] = rects[j]!;
        const overlap = Math.max(0, Math.min(ax + aw, bx + bw) - Math.max(ax, bx)) * Math.max(0, Math.min(ay + ah, by + bh) - Math.max(ay, by));
        expect(overlap).toBeLessThan(1e-6);
      }
    }
  });

  it('keeps boxes close to square where the values allow (the point of squarifying)', () => {
    const rects = squarify(
      Array.from({ length: 16 }, () => 1),
      0,
      0,
      400,
      400,
    );
    for (const [, , w, h] of rects) expect(Math.max(w / h, h / w)).toBeLessThan(1.5);
  });
});

describe('the treemap data', () => {
  it('adds up to the image size to the byte, each box the sum of the boxes in it', async () => {
    const explained = await explainEverything();
    const tree = buildTree(explained);
    expect(tree.s).toBe(explained.explanation.size);
    for (const node of nodesOf(tree)) if (node.c) expect(node.s, node.n).toBe(node.c.reduce((s, c) => s + c.s, 0));
    expect(tree.c!.map((l) => [l.n, l.s])).toEqual(explained.explanation.layers.map((l) => [`layer ${l.index + 1}`, l.size]));
    // The engine counts the link's target in layer 2; no file accounts for it.
    expect(tree.c![1]!.c!.find((c) => c.n === 'links and file-system records')?.s).toBe(6);
  });

  it('marks each file with its findings and kinds: gcc is a toolchain that a later layer deletes', async () => {
    const explained = await explainEverything();
    const gcc = [...nodesOf(buildTree(explained))].find((n) => n.n === 'gcc-14' || n.n.endsWith('/gcc-14'))!;
    const kinds = explained.explanation.findings.map((f) => f.kind);
    expect(gcc.x).toEqual([kinds.indexOf('toolchain'), kinds.indexOf('deleted-but-shipped')].sort());
    expect(gcc.k).toBe(KIND_BITS.toolchain | DELETED);
  });

  it('stays small for 300,000 small files: summed per folder, every byte still counted', async () => {
    const base = await explainEverything();
    const files: FileEntry[] = [];
    for (let i = 0; i < 300_000; i++) files.push({ path: `srv/data/d${i % 300}/s${i % 7}/f${i}.json`, size: 1000 + (i % 50), type: 'file', layer: 0 });
    files.push({ path: 'srv/big.bin', size: 50_000_000, type: 'file', layer: 0 });
    const bytes = files.reduce((s, f) => s + f.size, 0);
    const explained: Explained = {
      explanation: {
        ...base.explanation,
        size: bytes,
        layers: [{ ...base.explanation.layers[0]!, size: bytes, fileBytes: bytes, fileCount: files.length }],
        findings: [],
      },
      files,
      findingsOf: () => [],
    };
    const tree = buildTree(explained);
    const all = [...nodesOf(tree)];
    expect(all.length).toBeLessThanOrEqual(MAX_NODES);
    expect(JSON.stringify(tree).length).toBeLessThan(3_000_000);
    expect(tree.s).toBe(bytes);
    expect(all.find((n) => n.n === 'big.bin' || n.n.endsWith('/big.bin'))?.s).toBe(50_000_000);
    expect(all.filter((n) => !n.c).reduce((s, n) => s + n.s, 0)).toBe(bytes);
  });
});

describe('the page', () => {
  it('is self-contained: a policy that forbids every request, no link or source to load', async () => {
    const explained = await explainEverything();
    const html = renderPage({ explanation: explained.explanation, tree: buildTree(explained) });
    expect(html).toContain(PAGE_MARK);
    expect(html).toContain(`content="default-src 'none';`);
    expect(html).not.toMatch(/\s(src|href)=|url\((?!data:)|@import/i);
  });

  it('shows hostile file names as text: nothing in them closes the data or injects markup', async () => {
    const explained = await explainEverything();
    const evil = '</script><img src=x onerror=alert(1)>';
    explained.files.push({ path: `app/${evil}`, size: 4_000_000, type: 'file', layer: 2 });
    explained.explanation.findings[0]!.description = evil;
    explained.explanation.ref = evil;
    const html = renderPage({ explanation: explained.explanation, tree: buildTree(explained) });
    expect(html).not.toContain(evil);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it("names each finding's slide by its title and workshop number, as the terminal does", async () => {
    const explained = await explainEverything();
    const html = renderPage({ explanation: explained.explanation, tree: buildTree(explained) });
    const link = explained.explanation.findings[0]!.slide;
    expect(html).toContain(`read: ${htmlText(slideReference(link))}`);
    expect(slideReference(link)).toMatch(/ — ".+", slide \d+ of the workshop$/);
  });

  it('carries a script that parses', () => {
    expect(() => new Function(CLIENT_JS)).not.toThrow();
  });
});

describe('--html <file>', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-page-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('never overwrites a file stagecraft did not write, and says so in one line', async () => {
    const mine = path.join(dir, 'notes.html');
    await writeFile(mine, '<p>my notes</p>');
    await expect(checkPageTarget(mine)).rejects.toThrow(/notes\.html exists and is not a page stagecraft wrote: give --html another file name$/);
    expect(await readFile(mine, 'utf8')).toBe('<p>my notes</p>');
  });

  it('replaces a page it wrote, whole', async () => {
    const page = path.join(dir, 'page.html');
    await writePage(page, await explainEverything());
    await writePage(page, await explainEverything());
    expect(await readFile(page, 'utf8')).toContain(PAGE_MARK);
  });

  it('says when the folder is missing', async () => {
    await expect(checkPageTarget(path.join(dir, 'no', 'such', 'page.html'))).rejects.toThrow(/^cannot write the page .*: there is no folder /);
  });
});

describe('grade --watch watches', () => {
  it('the Dockerfile under test and every .dockerignore that applies to it', async () => {
    const lab = await findLab('lab1');
    const rel = (files: string[]) => files.map((f) => path.relative(path.resolve(__dirname, '../../..'), f));
    expect(rel(watchedFiles(lab, {}))).toEqual(['labs/lab1-go/Dockerfile', 'labs/lab1-go/.dockerignore']);
    expect(rel(watchedFiles(lab, { solution: true }))).toEqual([
      'solutions/lab1-go/Dockerfile',
      'labs/lab1-go/.dockerignore',
      'solutions/lab1-go/.dockerignore',
    ]);
    // A folder no checkout is in (a clone at /tmp/x would have its own files under /tmp/x/).
    const dir = '/nonexistent-stagecraft-watch';
    expect(watchedFiles(lab, { dockerfile: `${dir}/my.Dockerfile` }).filter((f) => f.startsWith(`${dir}/`))).toEqual([
      `${dir}/my.Dockerfile`,
      `${dir}/.dockerignore`,
      `${dir}/my.Dockerfile.dockerignore`,
    ]);
  });
});
