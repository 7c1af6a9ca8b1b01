// Bundle src/main.js (and the CSS it imports) into dist/assets/ with content-hashed names,
// then write dist/index.html pointing at them: a changed asset gets a new URL, so browsers
// may cache every asset forever.
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

await rm('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: ['src/main.js'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outdir: 'dist/assets',
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'info',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => '/' + path.relative('dist', file));
const script = outputs.find((f) => f.endsWith('.js'));
const style = outputs.find((f) => f.endsWith('.css'));
const template = await readFile('index.html', 'utf8');
await writeFile('dist/index.html', template.replace('%SCRIPT%', script).replace('%STYLE%', style));
console.log(`dist/index.html → ${script}, ${style}`);
