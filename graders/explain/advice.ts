import { CHECK_INFO } from '../checks/registry.js';
import type { Finding, FindingKind } from '../findings/index.js';
import { oneLine } from '../format/text.js';
import type { LayerSummary } from '../inspect/image.js';
import { describe } from '../lint/dockerfile.js';
import { instructionText } from './history-text.js';

/**
 * The slide that teaches each kind of finding: the one the matching check of the labs
 * points to, so explain and grade send a reader to the same place.
 */
export const SLIDES: Record<FindingKind, { slide: string; check: string }> = {
  toolchain: { slide: CHECK_INFO['no-toolchain'].slide, check: 'no-toolchain' },
  cache: { slide: CHECK_INFO['no-caches'].slide, check: 'no-caches' },
  secret: { slide: CHECK_INFO['no-secrets'].slide, check: 'no-secrets' },
  root: { slide: CHECK_INFO['non-root'].slide, check: 'non-root' },
  'deleted-but-shipped': { slide: CHECK_INFO.size.slide, check: 'size' },
};

/** What a final stage could start FROM instead, by the toolchain it must leave behind. */
const RUNTIME_FOR: Record<string, string> = {
  'the Go toolchain': 'scratch or gcr.io/distroless/static (with a static binary: CGO_ENABLED=0)',
  gcc: 'an image without compilers (debian:trixie-slim, gcr.io/distroless/cc)',
  'make and build-essential': 'an image without compilers (debian:trixie-slim, gcr.io/distroless/cc)',
  'the JDK': 'a JRE (eclipse-temurin:21-jre, gcr.io/distroless/java21) or a runtime made with jlink',
  'Node.js and npm':
    'node:20-slim with production dependencies only (`npm ci --omit=dev` in the build stage) if the app runs on Node.js, or any small image if Node.js only built the front end',
  "Python's C headers": 'python:3.13-slim, installing the wheels the build stage made (`pip wheel`)',
  Rust: 'scratch or gcr.io/distroless/cc',
};

const CACHE_FIX: Record<string, (at: string) => string> = {
  "apt's package lists": (at) =>
    `Clean up in the same RUN that installs${at}: \`apt-get update && apt-get install -y … && rm -rf /var/lib/apt/lists/*\`, or keep apt's files out of every layer with cache mounts (\`RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt …\`).`,
  "npm's cache": (at) =>
    `Run \`npm ci … && npm cache clean --force\` in the same RUN${at}, or \`RUN --mount=type=cache,target=/root/.npm npm ci …\`: the cache then never enters a layer.`,
  "yarn's cache": (at) => `Run \`yarn install … && yarn cache clean\` in the same RUN${at}, or mount yarn's cache folder with \`RUN --mount=type=cache,…\`.`,
  "pip's cache": (at) => `Install with \`pip install --no-cache-dir …\`${at}, or \`RUN --mount=type=cache,target=/root/.cache/pip pip install …\`.`,
  "Go's build cache": (at) =>
    `Compile in a build stage and keep Go's cache in a cache mount${at}: \`RUN --mount=type=cache,target=/root/.cache/go-build go build …\`; only the binary goes to the final stage.`,
};
CACHE_FIX["apt's downloaded packages"] = CACHE_FIX["apt's package lists"]!;

/** How a layer is named in advice: "line 7 (`RUN go build .`)", "layer 4 (`RUN apt-get …`)", "the base image golang:1.24". */
function madeBy(origin: LayerSummary | undefined, layer: number | undefined): string {
  if (origin?.instruction) return `line ${origin.instruction.line} (\`${oneLine(describe(origin.instruction))}\`)`;
  if (origin?.baseImage) return `the base image ${origin.baseImage}`;
  const text = origin ? instructionText(origin.createdBy) : '';
  const short = text.length > 60 ? `${text.slice(0, 59)}…` : text;
  return layer === undefined ? 'the image' : `layer ${layer + 1}${short ? ` (\`${oneLine(short)}\`)` : ''}`;
}

/** A `.dockerignore` line that keeps this secret file out of the build context. */
function ignoreLine(f: Finding): string {
  const name = f.example.slice(f.example.lastIndexOf('/') + 1);
  if (f.example.includes('.git/') || name === '.git') return '.git';
  if (/\.(key|pem|p12|pfx)$/.test(name)) return `*${name.slice(name.lastIndexOf('.'))}`;
  if (name.startsWith('.env')) return '.env*';
  return name;
}

function toolchainTodo(f: Finding, origin: LayerSummary | undefined): string {
  const runtime = RUNTIME_FOR[f.what] ?? 'an image without build tools';
  const source = origin?.instruction?.keyword === 'COPY' ? origin.instruction.flags.from : undefined;
  if (source) {
    // Copied out of a build stage (or an image): the build already happens elsewhere, only this copy goes.
    const named = /^\d+$/.test(source) ? `stage ${source}` : `\`${oneLine(source)}\``;
    return `${capitalise(madeBy(origin, f.layer))} copies it out of ${named} into the final image: ${f.what} belongs in ${named} only, whatever it is called. Remove that copy, or narrow it to what the app needs at run time (what the build made: the program, a compiled module, built files).`;
  }
  if (origin?.instruction || !origin?.baseImage) {
    return `${capitalise(madeBy(origin, f.layer))} puts it in the final image: move that step to a build stage (\`FROM … AS build\`), start the final stage FROM ${runtime}, and copy in only what the step makes (\`COPY --from=build …\`).`;
  }
  const { baseImage: base, from } = origin;
  return `${base} is a build image${from ? ` and the final stage starts FROM it (line ${from.line})` : ''}: use it as a build stage (\`FROM ${base} AS build\`), start the final stage FROM ${runtime}, and copy in only what the app needs (\`COPY --from=build …\`).`;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What to do about a finding, naming the line to change and the multi-stage move, and the slide that teaches it. */
export function advise(f: Finding, layers: LayerSummary[]): { todo: string; slide: string; deletedLine?: number } {
  const deletedLine = f.deletedIn === undefined ? undefined : layers[f.deletedIn]?.instruction?.line;
  return { ...adviseKind(f, layers), ...(deletedLine ? { deletedLine } : {}) };
}

function adviseKind(f: Finding, layers: LayerSummary[]): { todo: string; slide: string } {
  const origin = f.layer === undefined ? undefined : layers[f.layer];
  const slide = SLIDES[f.kind].slide;
  const at = origin?.instruction ? ` (line ${origin.instruction.line})` : '';
  switch (f.kind) {
    case 'toolchain':
      return { slide, todo: toolchainTodo(f, origin) };
    case 'cache': {
      const fix = (
        CACHE_FIX[f.what] ?? ((a: string) => `Remove it in the same RUN that makes it${a}, or keep it in a cache mount (\`RUN --mount=type=cache,…\`).`)
      )(at);
      return { slide, todo: origin?.instruction ? fix : `It comes from ${madeBy(origin, f.layer)}. ${fix}` };
    }
    case 'secret':
      if (f.setting !== undefined) {
        const keyword = f.setting.split(' ')[0];
        return {
          slide,
          todo: `Anyone who pulls the image reads it (\`docker inspect\`, \`docker history\`). Take the ${keyword} out of ${f.line ? `line ${f.line}` : 'the image'} and give the value when the container starts (\`docker run -e NAME=…\`, or a mounted file); a value a build step needs goes in \`RUN --mount=type=secret,id=…\`.`,
        };
      }
      return {
        slide,
        todo: `${capitalise(madeBy(origin, f.layer))} put it in a layer, where anyone who pulls the image can read it (deleting it later does not help). Keep it out of the build context with a .dockerignore line \`${ignoreLine(f)}\`, pass what a build step needs with \`RUN --mount=type=secret,id=…\`, and give the app its secrets when it starts.`,
      };
    case 'deleted-but-shipped': {
      const deletedLine = f.deletedIn === undefined ? undefined : layers[f.deletedIn]?.instruction?.line;
      const by = deletedLine ? `Line ${deletedLine}` : `Layer ${(f.deletedIn ?? 0) + 1}`;
      if (!origin?.instruction && origin?.baseImage && !deletedLine) {
        return {
          slide,
          todo: `The base image ${origin.baseImage} makes these files in one layer and deletes them in a later one, so they ship with it: nothing in your Dockerfile removes them. A base image that cleans up in the same step, or a smaller base for the final stage, leaves them out.`,
        };
      }
      return {
        slide,
        todo: `${by} deletes them, but the layer of ${madeBy(origin, f.layer)} still ships them: every layer counts in full. Delete them in the same RUN that makes them, or make them in a build stage and copy only what the app needs.`,
      };
    }
    case 'root':
      return {
        slide,
        todo: `Add a USER to the final stage${f.line ? ` (line ${f.line} sets root)` : ''}: \`USER 65532:65532\` on scratch, \`USER nonroot\` on distroless, \`USER node\` in node images, or a user made with \`useradd\`; files the app writes must belong to it.`,
      };
  }
}
