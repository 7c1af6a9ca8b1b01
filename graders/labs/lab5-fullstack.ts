import { builds, multiStage, noToolchain, runs, size } from '../checks/index.js';
import { FRONTEND_SOURCES, GCC, GO_SOURCES, GO_TOOLCHAIN, NODE_TOOLCHAIN } from '../findings/index.js';
import { MB } from '../format/bytes.js';
import { defineLab } from '../lab.js';
import { jsonProbe, pageWithAsset, randomInt, randomText, status } from '../run/probes.js';

/** What /api/caesar must answer: ASCII letters shifted, case kept, everything else as is. */
function caesar(text: string, shift: number): string {
  const k = ((shift % 26) + 26) % 26;
  return text.replace(/[a-z]/gi, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + k) % 26) + base);
  });
}

export default defineLab({
  id: 'lab5-fullstack',
  title: 'Two builders, one image',
  app: {
    stampCode: { file: 'main.go', language: 'go' },
    probes: [
      // esbuild names the bundle main-<8 character hash>.js; the page must link it and it must load.
      pageWithAsset('/', /<script[^>]*\ssrc="(\/assets\/main-[A-Z0-9]{8}\.js)"/, 'hashed script bundle', '/api/caesar'),
      jsonProbe(() => {
        const text = randomText();
        const shift = randomInt(-30, 30);
        return { path: `/api/caesar?shift=${shift}&text=${encodeURIComponent(text)}`, expect: { text: caesar(text, shift) } };
      }),
      jsonProbe(() => {
        const words = randomInt(0, 8);
        const text = randomText(words);
        return { path: `/api/count?text=${encodeURIComponent(text)}`, expect: { words, letters: text.replaceAll(' ', '').length } };
      }),
      status('/api/caesar?shift=three&text=abc', 400),
    ],
  },
  buildNetwork: true, // npm ci for the front end; the starter apt-get installs Go
  checks: [
    builds(),
    multiStage({
      feeders: 2,
      fanInHint:
        'Fan in: let each build stage build only its own part and copy nothing from the other — the front end in `FROM node:20-trixie AS frontend` (npm ci, npm run build), the back end in `FROM golang:1.24-trixie AS backend` (go build) — then copy each result into the final stage from its own stage: `COPY --from=frontend /web/dist /srv/www` and `COPY --from=backend /out/cipherdesk /cipherdesk`. Stages that do not copy from each other build side by side.',
    }),
    // The solution (static Go binary + bundled assets on distroless static) is about 8 MB.
    size({
      ceiling: 25 * MB,
      hint: 'The back end is a static Go binary (CGO_ENABLED=0): it needs no C library, so the final stage can be FROM scratch or gcr.io/distroless/static-debian13 (2 MB) rather than distroless base or a Debian image. Then look at the largest layers your Dockerfile adds (named above).',
    }),
    // The front end's sources and template are recognised by their bytes wherever they are
    // copied; the built page and bundle pass wherever the app serves them from (STATIC_DIR).
    noToolchain({ forbidden: [NODE_TOOLCHAIN, GO_TOOLCHAIN, GCC, GO_SOURCES, FRONTEND_SOURCES], toolchainImages: ['golang:1.24-trixie', 'node:20-trixie'] }),
    runs({ slide: 'slides/05-java-fan-in.md#10' }),
  ],
});
