#!/usr/bin/env node
// The graders are TypeScript, compiled to dist/graders/ by `npm ci` (the `prepare` script),
// so the command starts at once. A source newer than that build (you edited a grader) is
// compiled again first, in a fraction of a second, and said in one line: never stale code.
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, OUT, ROOT, staleReason } from './build.mjs';

// Node 22.1 and later keep the compiled graders and libraries on disk (in the system's
// temporary folder) for the next start, so a grade loads its modules faster. Node 20 has no such cache.
module.enableCompileCache?.();

async function load() {
  const why = staleReason();
  if (why) {
    const t0 = performance.now();
    try {
      await build();
      process.stderr.write(`stagecraft: ${why}; compiled the graders (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    } catch (err) {
      if (err?.code !== 'ERR_MODULE_NOT_FOUND') {
        process.stderr.write(`stagecraft: ${err.message}\n`);
        process.exit(2);
      }
      // No esbuild (installed without it): run the sources through tsx instead, slower to start.
      process.stderr.write('stagecraft: esbuild is not installed, so the graders run through tsx (slower to start); `npm ci` fixes that\n');
      const { register } = await import('tsx/esm/api');
      register();
      return import(pathToFileURL(path.join(ROOT, 'graders', 'cli', 'main.ts')).href);
    }
  }
  return import(pathToFileURL(path.join(OUT, 'cli', 'main.js')).href);
}

const { main } = await load();
await main(process.argv);
