import { builds, multiStage, noCaches, noToolchain, runs, size } from '../checks/index.js';
import { C_SOURCES, GCC, PYTHON_HEADERS } from '../findings/index.js';
import { MB } from '../format/bytes.js';
import { defineLab } from '../lab.js';
import { jsonProbe, randomInt, randomText, randomWord } from '../run/probes.js';

/** Levenshtein distance by code point, as the C extension computes it. */
function distance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length]!;
}

/** 64-bit FNV-1a of the UTF-8 bytes, in 16 hex digits. */
function fnv1a(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

export default defineLab({
  id: 'lab3-python',
  title: 'Python with a C extension',
  app: {
    stampCode: { file: '_hot.c', language: 'c' },
    probes: [
      jsonProbe(() => {
        const a = randomWord(randomInt(0, 12));
        const b = randomInt(2) ? randomWord(randomInt(0, 12)) : a.slice(1) + randomWord(2);
        return { path: `/distance?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`, expect: { distance: distance(a, b) } };
      }),
      jsonProbe(() => {
        const text = randomText();
        return { path: `/fingerprint?text=${encodeURIComponent(text)}`, expect: { fnv1a: fnv1a(text) } };
      }),
    ],
  },
  buildNetwork: true, // the starter apt-get installs gcc and make
  checks: [
    builds(),
    multiStage(),
    // The solution on python:3.13-slim-trixie is about 130 MB (upstream about 125 MB);
    // slim plus gcc and the headers is about 280 MB, the full image about 1 GB.
    size({ ceiling: 200 * MB }),
    // python:3.13-slim-trixie ships Python's headers (/usr/local/include/python3.13) as
    // upstream does: what a runtime base ships is not the student's finding; a toolchain
    // base's, or what the Dockerfile adds, always is.
    noToolchain({ forbidden: [GCC, PYTHON_HEADERS, C_SOURCES], toolchainImages: ['python:3.13-trixie'] }),
    // /stamp answers the stamp compiled into the extension: the module was built here and loads.
    runs({ slide: 'slides/04-node-python.md#10' }),
    noCaches(),
  ],
});
