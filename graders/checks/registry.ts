import type { CheckId } from './types.js';

/**
 * A check's text from the registry with a lab's value in place of the words that stand for it
 * (`<the lab folder>` → `labs/lab1-go`). Throws when those words are gone from the text, so an
 * edit to the registry cannot silently leave a placeholder in front of a student.
 */
export function fillIn(text: string, placeholder: string, value: string): string {
  if (!text.includes(placeholder)) throw new Error(`the check text "${text.slice(0, 60)}…" has no "${placeholder}" to fill in`);
  return text.replace(placeholder, value);
}

/** What a check is, apart from any lab: what passing means, what to do when it fails, the slide that teaches it. */
export interface CheckInfo {
  title: string;
  hint: string;
  slide: string;
}

/**
 * Every check's metadata, in one place (hadolint's rule table): the checks' factories start
 * from it, a lab's settings fill in its numbers (a ceiling, the toolchains it forbids), and
 * `explain` sends a reader to the same slides.
 */
export const CHECK_INFO: Record<CheckId, CheckInfo> = {
  builds: {
    title: 'the Dockerfile builds from the lab folder',
    hint: 'Read the message above: the Dockerfile line it names, and the last line the failing step printed. Build it yourself with `docker build -f <your Dockerfile> <the lab folder>` to iterate faster.',
    slide: 'slides/02-multi-stage.md#3',
  },
  'multi-stage': {
    title: 'a build stage and a small final stage, named, connected by COPY --from=<name>',
    hint: 'Build in a stage named with `FROM <toolchain image> AS build`, then start the final stage `FROM` a small base and bring over only what runs: `COPY --from=build /out/app /app`.',
    slide: 'slides/02-multi-stage.md#5',
  },
  size: {
    title: "the final image is at most the lab's ceiling",
    hint: 'Start with the largest layers your Dockerfile adds (named above): build tools, caches or dev dependencies copied in. If the base image alone is most of it, pick a smaller base for the final stage. Each layer counts in full, even files a later layer deletes.',
    slide: 'slides/01-why-images-bloat.md#4',
  },
  'no-toolchain': {
    title: 'no build toolchain in the final image',
    hint: 'Compile in a build stage and copy only the result into the final stage. Deleting tools with `RUN rm` in a later layer does not help: they still ship in the layer that added them; renaming them, packing them in an archive or moving them to a documentation folder does not hide them either.',
    slide: 'slides/02-multi-stage.md#6',
  },
  runs: {
    title: "the container starts and answers every probe on the lab's port, this build's stamp included",
    hint: "Run it yourself: `docker run --rm -p <port>:<port> <image>` with the lab's port (grade with `--keep-image` to keep the image as stagecraft/<lab>), open the path that failed and read what the container printed.",
    slide: 'slides/03-go.md#3',
  },
  'non-root': {
    title: "the image's user and the running process are not root",
    hint: 'Add a USER instruction to the final stage: `USER node` or `USER nobody` in Debian-based images, `USER nonroot` in distroless, a number such as `USER 65532:65532` in scratch. Files the app writes must belong to that user.',
    slide: 'slides/07-shipping-safely.md#3',
  },
  'no-secrets': {
    title: 'no secrets in any layer (.env, private keys, credentials, .git), deleted or not, nor in the image config (ENV, LABEL, build arguments)',
    hint: 'Keep secrets out of the build context with a .dockerignore (.env, .git, *.key), and pass build-time secrets with `RUN --mount=type=secret,…`. Deleting a file in a later layer does not remove it: it stays readable in the layer that added it. ENV, LABEL and ARG values are recorded in the image (`docker inspect`, `docker history`): give the app its secrets when it starts (`docker run -e HOOKRELAY_TOKEN=…`, or a mounted file), never in the Dockerfile.',
    slide: 'slides/07-shipping-safely.md#4',
  },
  'no-caches': {
    title: 'no package-manager caches (apt lists, npm, pip) in the final image',
    hint: "Clean up in the same RUN that made the mess: `apt-get update && apt-get install … && rm -rf /var/lib/apt/lists/*`, `npm ci --omit=dev && npm cache clean --force` (npm ci fills npm's cache too), `pip install --no-cache-dir`; or keep the cache out of every layer with a BuildKit cache mount (`RUN --mount=type=cache,target=/root/.npm npm ci …`).",
    slide: 'slides/07-shipping-safely.md#6',
  },
  'cache-friendly': {
    title: 'after a source-only change, the rebuild reuses the dependency-install layer',
    hint: 'Order instructions from least to most often changed: copy only the dependency manifests, install, and only then copy the sources. A change to a source file then reuses the install layer from the cache.',
    slide: 'slides/08-fast-builds.md#3',
  },
};
