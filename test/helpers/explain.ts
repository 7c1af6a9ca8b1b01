import { explainFacts, type Explained } from '../../graders/explain/explain-image.js';
import { attributeLayers } from '../../graders/inspect/attribution.js';
import { summariseLayers, type ImageFacts } from '../../graders/inspect/image.js';
import { scanSavedImage } from '../../graders/inspect/saved-image.js';
import { parseDockerfile, type ParsedDockerfile } from '../../graders/lint/dockerfile.js';
import { makeSavedImage, streamOf, type SyntheticImage } from './tar.js';

export const TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';

/** A Dockerfile with one of everything explain finds, and the image it would make (as `docker save` streams it). */
export const EVERYTHING_DOCKERFILE = `FROM debian:trixie-slim
RUN apt-get install -y gcc
COPY .env /app/.env
RUN npm ci
RUN rm /usr/bin/gcc-14
ENV GITHUB_TOKEN=${TOKEN}
`;

export const EVERYTHING_IMAGE: SyntheticImage = {
  layers: [
    [
      { name: 'bin/sh', size: 120_000 },
      { name: 'etc/os-release', content: 'ID=debian\n' },
    ],
    [
      { name: 'usr/bin/gcc-14', size: 3_000_000 },
      { name: 'usr/bin/gcc', type: 'symlink', linkname: 'gcc-14' },
    ],
    [{ name: 'app/.env', content: 'TOKEN=abc\n' }],
    [{ name: 'root/.npm/_cacache/content-v2/sha512/ab/cd', size: 2_000_000 }],
    [{ name: 'usr/bin/.wh.gcc-14', content: '' }],
  ],
  history: [
    { created_by: '/bin/sh -c #(nop) ADD file:0123 in / ' },
    { created_by: 'RUN /bin/sh -c apt-get install -y gcc # buildkit' },
    { created_by: 'COPY .env /app/.env # buildkit' },
    { created_by: 'RUN /bin/sh -c npm ci # buildkit' },
    { created_by: 'RUN /bin/sh -c rm /usr/bin/gcc-14 # buildkit' },
    { created_by: `ENV GITHUB_TOKEN=${TOKEN}`, empty_layer: true },
  ],
};

/**
 * What the inspect stage would hand explain for a synthetic image: the real layer scan
 * and attribution over a `docker save`-shaped tar, plus the engine's facts given here
 * (its size and per-layer bytes, which count symbolic links' targets too).
 */
export async function synthesize(
  image: SyntheticImage,
  dockerfile: string | undefined,
  engine: { size: number; layerSizes: number[] } & Partial<ImageFacts>,
): Promise<{ facts: ImageFacts; df?: ParsedDockerfile }> {
  const parsed = dockerfile ? parseDockerfile(dockerfile) : undefined;
  const df = parsed?.ok ? parsed.dockerfile : undefined;
  const saved = await scanSavedImage(streamOf(await makeSavedImage(image)));
  const layers = summariseLayers(saved.layers, attributeLayers(saved.config, saved.layers.length, df));
  let layer = 0;
  const history = image.history.map((h) => ({
    createdBy: h.created_by,
    emptyLayer: Boolean(h.empty_layer),
    size: h.empty_layer ? 0 : (engine.layerSizes[layer++] ?? 0),
  }));
  const { size, layerSizes: _, ...rest } = engine;
  const facts: ImageFacts = {
    id: 'sha256:0123',
    size,
    user: '',
    entrypoint: [],
    cmd: [],
    env: [],
    labels: {},
    history,
    standInBases: [],
    layers,
    files: saved.layers.flatMap((l) => l.files),
    members: saved.layers.flatMap((l) => l.members),
    ...rest,
  };
  return { facts, df };
}

/** The synthetic image with one of everything, explained. */
export async function explainEverything(): Promise<Explained> {
  const { facts, df } = await synthesize(EVERYTHING_IMAGE, EVERYTHING_DOCKERFILE, {
    size: 5_120_026,
    layerSizes: [120_010, 3_000_006, 10, 2_000_000, 0],
    env: ['PATH=/usr/bin', `GITHUB_TOKEN=${TOKEN}`],
  });
  return explainFacts(facts, { ref: 'synthetic', df });
}
