/**
 * `npx tsx scripts/bench-scan.ts` — the layer scan against hostile and huge layers, from
 * synthetic tars streamed through it (nothing on disk): time, peak memory, and whether the
 * budget stopped it. The cases of issue 13 (files with ~3,900-character paths) and of
 * `stagecraft explain`'s target (300,000 small files).
 */
import tar from 'tar-stream';
import { formatBytes } from '../graders/format/bytes.js';
import { findFiles, GO_TOOLCHAIN, PACKAGE_CACHES } from '../graders/findings/index.js';
import { ScanBudgetExceeded, scanLayer, type ScanBudget } from '../graders/inspect/layers.js';
import { runMain } from '../graders/cli/run-main.js';

function layerOf(files: number, pathLength: number, bytes: number) {
  const pack = tar.pack();
  const body = Buffer.alloc(bytes, 1);
  const dir = 'd'.repeat(Math.max(1, pathLength - 12)).replace(/(.{100})/g, '$1/');
  (async () => {
    for (let i = 0; i < files; i++) {
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: `${dir}/${String(i).padStart(10, '0')}`, size: bytes }, body, (err) => (err ? reject(err) : resolve())),
      );
    }
    pack.finalize();
  })().catch((err) => pack.destroy(err));
  return pack;
}

async function run(name: string, files: number, pathLength: number, bytes: number, budget?: Partial<ScanBudget>): Promise<void> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = Date.now();
  let outcome: string;
  try {
    const layer = await scanLayer(layerOf(files, pathLength, bytes), 0, { budget });
    const image = {
      files: layer.files,
      members: [],
      layers: [],
      id: '',
      size: 0,
      user: '',
      entrypoint: [],
      cmd: [],
      env: [],
      labels: {},
      history: [],
      standInBases: [],
    };
    const t = Date.now();
    findFiles(image, [GO_TOOLCHAIN, ...PACKAGE_CACHES]);
    outcome = `scanned ${layer.files.length.toLocaleString('en-US')} files; rules ${Date.now() - t} ms`;
  } catch (err) {
    outcome = err instanceof ScanBudgetExceeded ? `stopped by the budget: ${err.message}` : `failed: ${(err as Error).message}`;
  }
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${name.padEnd(44)} ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  peak +${formatBytes(peak - before).padStart(8)}  ${outcome}`);
}

await runMain(async () => {
  await run('300,000 small files (explain target)', 300_000, 40, 16);
  await run('20,000 files, 3,900-character paths', 20_000, 3_900, 0);
  await run('200,000 files, 3,900-character paths', 200_000, 3_900, 0);
  await run('1,200,000 tiny files', 1_200_000, 20, 0);
});
