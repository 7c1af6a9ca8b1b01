/**
 * The base images the labs use: real upstream tags, Debian 13 (trixie) based.
 * Where no registry answers, `npm run images` builds a stand-in for each from Debian's
 * packages (graders/standins/recipes/), tagged with the same name and labelled so
 * reports can say their sizes were measured against stand-ins.
 */
export interface CatalogueImage {
  /** The upstream reference; a stand-in is tagged with exactly this name. */
  ref: string;
  /** What a lab uses it for, in a few words (shown by `npm run images -- list`). */
  purpose: string;
  /** A toolchain image: compilers, SDKs, package managers. A final stage on it is a mistake. */
  toolchain: boolean;
  /** How the stand-in is made: a root file system from mmdebstrap, or a recipe Dockerfile. */
  standIn: { rootfs: true } | { recipe: string; from: string[]; npmCli?: string };
  /** Approximate uncompressed size of the upstream image, to keep stand-ins honest. */
  upstreamBytes: number;
  /** What the decks' side-by-side table says of it. */
  traits: { shell: boolean; libc: 'glibc' | 'musl' | 'none'; packageManager: string };
  /** Another tag of an image listed above (distroless `:nonroot`, `:debug`): not a row of its own in the decks. */
  variantOf?: string;
}

const FULL = { shell: true, libc: 'glibc', packageManager: 'apt' } as const;
const DISTROLESS = { shell: false, libc: 'glibc', packageManager: 'none' } as const;

export const STAND_IN_LABEL = 'org.stagecraft.stand-in';
export const RECIPE_LABEL = 'org.stagecraft.recipe';

const MB = 1_000_000;

const CATALOGUE_BASES: readonly CatalogueImage[] = [
  {
    ref: 'debian:trixie-slim',
    purpose: 'a slim Debian userland; the base of every stand-in',
    toolchain: false,
    standIn: { rootfs: true },
    upstreamBytes: 78 * MB,
    traits: FULL,
  },
  {
    ref: 'golang:1.24-trixie',
    purpose: 'Go 1.24 with gcc (cgo on), git and the usual build tools',
    toolchain: true,
    standIn: { recipe: 'golang.Dockerfile', from: ['debian:trixie-slim'] },
    upstreamBytes: 850 * MB,
    traits: FULL,
  },
  {
    ref: 'buildpack-deps:trixie',
    purpose: 'compilers, -dev libraries, git and curl: the base of the full node and python images',
    toolchain: true,
    standIn: { recipe: 'buildpack-deps.Dockerfile', from: ['debian:trixie-slim'] },
    upstreamBytes: 900 * MB,
    traits: FULL,
  },
  {
    ref: 'node:20-trixie',
    purpose: 'Node.js 20 and npm on buildpack-deps (compilers included)',
    toolchain: true,
    standIn: { recipe: 'node.Dockerfile', from: ['buildpack-deps:trixie'], npmCli: '10.9' },
    upstreamBytes: 1_100 * MB,
    traits: FULL,
  },
  {
    ref: 'node:20-trixie-slim',
    purpose: 'Node.js 20 and npm on a slim Debian: a runtime for Node apps',
    toolchain: false,
    standIn: { recipe: 'node-slim.Dockerfile', from: ['debian:trixie-slim'], npmCli: '10.9' },
    upstreamBytes: 200 * MB,
    traits: FULL,
  },
  {
    ref: 'python:3.13-trixie',
    purpose: 'Python 3.13 with headers, pip and venv on buildpack-deps (gcc included)',
    toolchain: true,
    standIn: { recipe: 'python.Dockerfile', from: ['buildpack-deps:trixie'] },
    upstreamBytes: 1_020 * MB,
    traits: FULL,
  },
  {
    ref: 'python:3.13-slim-trixie',
    purpose: 'Python 3.13 with pip on a slim Debian: a runtime for Python apps',
    toolchain: false,
    standIn: { recipe: 'python-slim.Dockerfile', from: ['debian:trixie-slim'] },
    upstreamBytes: 125 * MB,
    traits: FULL,
  },
  {
    ref: 'gcr.io/distroless/static-debian13',
    purpose: 'CA certificates, tzdata, /etc/passwd with nonroot; no libc, no shell',
    toolchain: false,
    standIn: { recipe: 'distroless-static.Dockerfile', from: ['debian:trixie-slim'] },
    upstreamBytes: 2 * MB,
    traits: { shell: false, libc: 'none', packageManager: 'none' },
  },
  {
    ref: 'gcr.io/distroless/base-debian13',
    purpose: 'distroless static plus glibc and OpenSSL',
    toolchain: false,
    standIn: { recipe: 'distroless-base.Dockerfile', from: ['debian:trixie-slim', 'gcr.io/distroless/static-debian13'] },
    upstreamBytes: 21 * MB,
    traits: DISTROLESS,
  },
  {
    ref: 'gcr.io/distroless/cc-debian13',
    purpose: 'distroless base plus libgcc and libstdc++',
    toolchain: false,
    standIn: { recipe: 'distroless-cc.Dockerfile', from: ['debian:trixie-slim', 'gcr.io/distroless/base-debian13'] },
    upstreamBytes: 24 * MB,
    traits: DISTROLESS,
  },
  {
    ref: 'gcr.io/distroless/python3-debian13',
    purpose: 'distroless cc plus the Python 3.13 interpreter (entrypoint python3); no pip, no shell',
    toolchain: false,
    standIn: { recipe: 'distroless-python3.Dockerfile', from: ['debian:trixie-slim', 'gcr.io/distroless/cc-debian13'] },
    upstreamBytes: 55 * MB,
    traits: DISTROLESS,
  },
  {
    ref: 'eclipse-temurin:21-jdk',
    purpose: 'the Java 21 JDK: javac, jar, jlink and the jmods jlink links from',
    toolchain: true,
    standIn: { recipe: 'temurin-jdk.Dockerfile', from: ['debian:trixie-slim'] },
    upstreamBytes: 440 * MB,
    traits: FULL,
  },
  {
    ref: 'eclipse-temurin:21-jre',
    purpose: 'the Java 21 runtime on a full OS: java and the class library, no compiler',
    toolchain: false,
    standIn: { recipe: 'temurin-jre.Dockerfile', from: ['debian:trixie-slim'] },
    upstreamBytes: 265 * MB,
    traits: FULL,
  },
  {
    ref: 'gcr.io/distroless/java21-debian13',
    purpose: 'distroless cc plus the Java 21 runtime (entrypoint java -jar); no shell',
    toolchain: false,
    standIn: { recipe: 'distroless-java21.Dockerfile', from: ['debian:trixie-slim', 'gcr.io/distroless/cc-debian13'] },
    upstreamBytes: 200 * MB,
    traits: DISTROLESS,
  },
];

/**
 * Upstream publishes every distroless image also as `:nonroot` (user 65532) and `:debug`
 * (a busybox shell in /busybox), and students use those tags: they are here too.
 */
function distrolessVariants(): CatalogueImage[] {
  const variants: CatalogueImage[] = [];
  for (const img of CATALOGUE_BASES.filter((c) => c.ref.startsWith('gcr.io/distroless/'))) {
    const name = img.ref.slice('gcr.io/distroless/'.length).replace(/-debian13$/, '');
    variants.push({
      ...img,
      ref: `${img.ref}:nonroot`,
      purpose: `${img.ref} with the nonroot user (65532) as default user`,
      standIn: { recipe: `distroless-${name}-nonroot.Dockerfile`, from: [img.ref] },
      variantOf: img.ref,
    });
    variants.push({
      ...img,
      ref: `${img.ref}:debug`,
      purpose: `${img.ref} with a busybox shell in /busybox, for debugging`,
      standIn: { recipe: `distroless-${name}-debug.Dockerfile`, from: ['debian:trixie-slim', img.ref] },
      upstreamBytes: img.upstreamBytes + 1 * MB,
      traits: { ...img.traits, shell: true },
      variantOf: img.ref,
    });
  }
  return variants;
}

export const CATALOGUE: readonly CatalogueImage[] = [...CATALOGUE_BASES, ...distrolessVariants()];

/** Images that are toolchains whether or not they are in the catalogue, by repository name. */
const TOOLCHAIN_REPOSITORIES = ['golang', 'rust', 'gcc', 'maven', 'gradle', 'buildpack-deps', 'mcr.microsoft.com/dotnet/sdk'];

/** Java images ship a JDK unless the tag says JRE. */
const JAVA_REPOSITORIES = ['eclipse-temurin', 'openjdk', 'amazoncorretto', 'ibm-semeru-runtimes'];

/** `docker.io/library/golang:1.24@sha256:…` → `golang`. */
export function repositoryOf(ref: string): string {
  let name = ref.split('@')[0]!;
  const lastColon = name.lastIndexOf(':');
  if (lastColon > name.lastIndexOf('/')) name = name.slice(0, lastColon);
  return name.replace(/^(docker\.io\/|index\.docker\.io\/)/, '').replace(/^library\//, '');
}

/** The tag of a reference, `latest` when none is given. */
export function tagOf(ref: string): string {
  const name = ref.split('@')[0]!;
  const lastColon = name.lastIndexOf(':');
  return lastColon > name.lastIndexOf('/') ? name.slice(lastColon + 1) : 'latest';
}

export function catalogueEntry(ref: string): CatalogueImage | undefined {
  const wanted = `${repositoryOf(ref)}:${tagOf(ref)}`;
  return CATALOGUE.find((img) => `${repositoryOf(img.ref)}:${tagOf(img.ref)}` === wanted);
}

/**
 * Is this a toolchain image? Catalogue entries say so; otherwise full node/python images
 * (not -slim, -alpine, or distroless) and known SDK repositories are toolchains.
 */
export function isToolchainImage(ref: string): boolean {
  const entry = catalogueEntry(ref);
  if (entry) return entry.toolchain;
  const repo = repositoryOf(ref);
  if (TOOLCHAIN_REPOSITORIES.includes(repo)) return true;
  if (JAVA_REPOSITORIES.includes(repo)) return !/jre/.test(tagOf(ref));
  if (repo === 'node' || repo === 'python') return !/slim|alpine|distroless/.test(tagOf(ref));
  return /(^|[-/])(jdk|sdk)([-/:]|$)/.test(ref);
}

/**
 * Official images the decks teach for use online, beyond the catalogue: what an honest
 * student may write in FROM where a registry answers. `*` matches anything (slashes too).
 */
export const ONLINE_IMAGES: readonly string[] = [
  'alpine:*',
  'golang:*alpine*',
  'node:*alpine*',
  'node:*slim*',
  'python:*alpine*',
  'python:*slim*',
  'eclipse-temurin:*',
  'gcr.io/distroless/*',
];

/** `golang` → `golang:latest`, `docker.io/library/node:20@sha256:…` → `node:20`: the form patterns match. */
export function normaliseRef(ref: string): string {
  return `${repositoryOf(ref)}:${tagOf(ref)}`;
}

/** A pattern as written (`alpine`, `node:*slim*`, `gcr.io/distroless/*`) as a regular expression over normalised references. */
function patternRegex(pattern: string): RegExp {
  const text = pattern.includes('*') ? pattern.replace(/^(docker\.io\/|index\.docker\.io\/)/, '').replace(/^library\//, '') : normaliseRef(pattern);
  return new RegExp(`^${text.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
}

/** The images a grade may start from: the catalogue, the online images, and what the lab or instructor adds. */
export function allowedImages(extra: readonly string[] = []): string[] {
  return [...CATALOGUE.map((c) => c.ref), ...ONLINE_IMAGES, ...extra];
}

/** Is this reference on the allowlist (catalogue, online images, `extra` patterns)? */
export function isAllowedImage(ref: string, extra: readonly string[] = []): boolean {
  const wanted = normaliseRef(ref);
  return allowedImages(extra).some((p) => patternRegex(p).test(wanted));
}
