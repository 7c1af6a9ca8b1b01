import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLIDES } from '../../../graders/explain/advice.js';
import { isBaseImageName } from '../../../graders/explain/base-image.js';
import { explainFacts } from '../../../graders/explain/explain-image.js';
import { EXPLAIN_SCHEMA, explanationJson } from '../../../graders/explain/explanation.js';
import { instructionText } from '../../../graders/explain/history-text.js';
import { renderExplanation } from '../../../graders/explain/terminal.js';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { EVERYTHING_IMAGE, explainEverything, synthesize } from '../../helpers/explain.js';

/** The slides' titles and workshop numbers, as `npm run slides:facts` wrote them: a hint names both. */
const SLIDE_INDEX = JSON.parse(readFileSync(new URL('../../../slides/data/slide-index.json', import.meta.url), 'utf8')) as Record<
  string,
  { title: string; workshop: number }
>;

describe('explain --json: the documented shape (README, DESIGN.md "Beyond grading")', () => {
  it('is exactly this for an image with one of everything', async () => {
    const json = explanationJson((await explainEverything()).explanation);
    const layer = (index: number, size: number, files: number, fileBytes: number, line: number | null, text: string | null, history: string) => ({
      index,
      size,
      files,
      fileBytes,
      instruction: text === null ? null : { stage: '0', line, text },
      base: text === null ? 'debian:trixie-slim' : null,
      history,
    });
    expect(json).toEqual({
      schema: EXPLAIN_SCHEMA,
      image: {
        ref: 'synthetic',
        id: 'sha256:0123',
        size: 5_120_026,
        user: '',
        standIn: false,
        layers: [
          layer(1, 120_010, 2, 120_010, null, null, 'ADD file:0123 in /'),
          // The engine counts the symbolic link's target (6 bytes) that no file holds.
          layer(2, 3_000_006, 2, 3_000_000, 2, 'RUN apt-get install -y gcc', 'RUN apt-get install -y gcc'),
          layer(3, 10, 1, 10, 3, 'COPY .env /app/.env', 'COPY .env /app/.env'),
          layer(4, 2_000_000, 1, 2_000_000, 4, 'RUN npm ci', 'RUN npm ci'),
          layer(5, 0, 0, 0, 5, 'RUN rm /usr/bin/gcc-14', 'RUN rm /usr/bin/gcc-14'),
        ],
      },
      findings: [
        {
          kind: 'toolchain',
          what: 'gcc',
          path: '/usr/bin/gcc-14',
          size: 3_000_000,
          layer: 2,
          line: 2,
          files: 2,
          deletedIn: { layer: 5, line: 5 },
          setting: null,
          fromBase: false,
          todo: 'Line 2 (`RUN apt-get install -y gcc`) puts it in the final image: move that step to a build stage (`FROM … AS build`), start the final stage FROM an image without compilers (debian:trixie-slim, gcr.io/distroless/cc), and copy in only what the step makes (`COPY --from=build …`).',
          slide: 'slides/02-multi-stage.md#6',
        },
        {
          kind: 'deleted-but-shipped',
          what: 'files deleted by a later layer',
          path: '/usr/bin/gcc-14',
          size: 3_000_000,
          layer: 2,
          line: 2,
          files: 1,
          deletedIn: { layer: 5, line: 5 },
          setting: null,
          fromBase: false,
          todo: 'Line 5 deletes them, but the layer of line 2 (`RUN apt-get install -y gcc`) still ships them: every layer counts in full. Delete them in the same RUN that makes them, or make them in a build stage and copy only what the app needs.',
          slide: 'slides/01-why-images-bloat.md#4',
        },
        {
          kind: 'cache',
          what: "npm's cache",
          path: '/root/.npm/_cacache/content-v2/sha512/ab/cd',
          size: 2_000_000,
          layer: 4,
          line: 4,
          files: 1,
          deletedIn: null,
          setting: null,
          fromBase: false,
          todo: 'Run `npm ci … && npm cache clean --force` in the same RUN (line 4), or `RUN --mount=type=cache,target=/root/.npm npm ci …`: the cache then never enters a layer.',
          slide: 'slides/07-shipping-safely.md#6',
        },
        {
          kind: 'secret',
          what: 'an environment file',
          path: '/app/.env',
          size: 10,
          layer: 3,
          line: 3,
          files: 1,
          deletedIn: null,
          setting: null,
          fromBase: false,
          todo: 'Line 3 (`COPY .env /app/.env`) put it in a layer, where anyone who pulls the image can read it (deleting it later does not help). Keep it out of the build context with a .dockerignore line `.env*`, pass what a build step needs with `RUN --mount=type=secret,id=…`, and give the app its secrets when it starts.',
          slide: 'slides/07-shipping-safely.md#4',
        },
        {
          kind: 'secret',
          what: 'a credential in the image config (a value shaped like a live token)',
          path: null,
          size: 0,
          layer: null,
          line: 6,
          files: 0,
          deletedIn: null,
          setting: 'ENV GITHUB_TOKEN=ghp_0123…2345',
          fromBase: false,
          todo: 'Anyone who pulls the image reads it (`docker inspect`, `docker history`). Take the ENV out of line 6 and give the value when the container starts (`docker run -e NAME=…`, or a mounted file); a value a build step needs goes in `RUN --mount=type=secret,id=…`.',
          slide: 'slides/07-shipping-safely.md#4',
        },
        {
          kind: 'root',
          what: 'the image runs as root (its user is not set)',
          path: null,
          size: 0,
          layer: null,
          line: null,
          files: 0,
          deletedIn: null,
          setting: 'USER (none)',
          fromBase: true,
          todo: 'Add a USER to the final stage: `USER 65532:65532` on scratch, `USER nonroot` on distroless, `USER node` in node images, or a user made with `useradd`; files the app writes must belong to it.',
          slide: 'slides/07-shipping-safely.md#3',
        },
      ],
      build: null,
      complete: true,
      notes: [],
    });
    // The JSON never carries a build argument's or ENV's value in full.
    expect(JSON.stringify(json)).not.toContain('ghp_0123456789abcdefghij');
  });

  it("falls back to the scan's own bytes when the engine's layer sizes do not pair up with the layers", async () => {
    const { facts, df } = await synthesize(EVERYTHING_IMAGE, undefined, { size: 5_120_026, layerSizes: [1, 2, 3] });
    const { explanation } = explainFacts({ ...facts, history: facts.history.slice(0, 2) }, { ref: 'x', df });
    expect(explanation.layers.map((l) => l.size)).toEqual([120_010, 3_000_000, 10, 2_000_000, 0]);
  });
});

describe('the terminal report', () => {
  it('lists the layers with their lines, a ✗ per finding with what to do and the slide, and ✓ for what is clean', async () => {
    const text = renderExplanation((await explainEverything()).explanation, false);
    const lines = text.split('\n');
    expect(lines[0]).toBe('stagecraft explain · synthetic · 5.12 MB in 5 layers');
    expect(text).toContain('   1  120 kB  ░░░░░░░░░░░░  debian:trixie-slim: ADD file:0123 in /');
    expect(text).toContain('   2    3 MB  ███████░░░░░  line 2: RUN apt-get install -y gcc');
    expect(text).toContain(
      '✗ toolchain gcc: 2 files, 3 MB in all, in /usr/bin/ (the largest /usr/bin/gcc-14 (3 MB)), layer 2 of 5, added by `RUN apt-get install -y gcc` (Dockerfile line 2); deleted in layer 5, but still shipped',
    );
    expect(text).toContain('do:   Line 2 (`RUN apt-get install -y gcc`) puts it in the final image');
    expect(text).toContain(
      `read: slides/02-multi-stage.md#6 — "${SLIDE_INDEX['slides/02-multi-stage.md#6']!.title}", slide ${SLIDE_INDEX['slides/02-multi-stage.md#6']!.workshop} of the workshop`,
    );
    expect(text).not.toMatch(/✓ (toolchain|cache|secret|deleted|root)/);
    expect(lines.at(-2)).toMatch(/^6 findings: toolchains 3 MB, caches 2 MB, 2 secrets, deleted but shipped 3 MB, runs as root \(\d+ ms\)$/);
  });

  it('makes control characters in file names and history visible, never raw', async () => {
    const { facts } = await synthesize(
      { layers: [[{ name: 'root/.npm/_cacache/\u001b[2Jx', size: 2000 }]], history: [{ created_by: 'RUN /bin/sh -c echo \u001b]0;pwned\u0007' }] },
      undefined,
      { size: 2000, layerSizes: [2000] },
    );
    const text = renderExplanation(explainFacts(facts, { ref: 'x' }).explanation, false);
    expect(text).not.toMatch(/\u001b|\u0007/);
    expect(text).toContain('\\x1b[2Jx');
  });
});

describe('history → instruction text', () => {
  it.each([
    ['RUN /bin/sh -c go build . # buildkit', 'RUN go build .'],
    ['|2 NPM_TOKEN=npm_secret OTHER=1 /bin/sh -c npm ci # buildkit', 'RUN npm ci'],
    ['|1 A=two words /bin/sh -c make', 'RUN make'],
    ['COPY /out/app /app # buildkit', 'COPY /out/app /app'],
    ['/bin/sh -c #(nop)  CMD ["bash"]', 'CMD ["bash"]'],
    ['/bin/sh -c #(nop) COPY file:ab12 in /src ', 'COPY file:ab12 in /src'],
    ['/bin/sh -c apt-get update', 'RUN apt-get update'],
    ['WORKDIR /go', 'WORKDIR /go'],
    ['', ''],
  ])('%j → %j', (createdBy, text) => {
    expect(instructionText(createdBy)).toBe(text);
  });
});

describe('base images by name', () => {
  it.each([
    ['golang:1.24-trixie', true],
    ['node:22-bookworm-slim', true],
    ['gcr.io/distroless/static-debian13:nonroot', true],
    ['docker.io/library/python:3.13-slim-trixie', true],
    ['stagecraft/lab1-go', false],
    ['myapp:latest', false],
  ])('%s → %s', (ref, expected) => {
    expect(isBaseImageName(ref)).toBe(expected);
  });
});

describe('each kind of finding links to a slide that exists and teaches the matching check', () => {
  it('toolchain, cache, secret, root, deleted-but-shipped', async () => {
    const { load } = await import('@slidev/parser/fs');
    for (const [kind, { slide, check }] of Object.entries(SLIDES)) {
      const [, deck, n] = /^(slides\/[^#]+\.md)#(\d+)$/.exec(slide)!;
      const data = await load(path.join(REPO_ROOT, 'slides'), path.join(REPO_ROOT, deck!));
      expect(data.slides[Number(n) - 1]?.frontmatter.teaches, `${kind} → ${slide}`).toContain(check);
    }
  });
});
