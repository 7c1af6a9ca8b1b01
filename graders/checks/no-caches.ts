import type { ForbiddenPaths } from './findings.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';

/** Package-manager caches: they help the next install on a build machine, never a running app. */
export const PACKAGE_CACHES: ForbiddenPaths[] = [
  { what: "apt's package lists", globs: ['var/lib/apt/lists/*_Packages*', 'var/lib/apt/lists/*_InRelease', 'var/lib/apt/lists/*_Release*', 'var/lib/apt/lists/*_Sources*', 'var/lib/apt/lists/*Translation*'] },
  { what: "apt's downloaded packages", globs: ['var/cache/apt/archives/*.deb', 'var/cache/apt/*.bin'] },
  { what: "npm's cache", globs: ['**/.npm/_cacache/**'] },
  { what: "yarn's cache", globs: ['usr/local/share/.cache/yarn/**', '**/.cache/yarn/**'] },
  { what: "pip's cache", globs: ['**/.cache/pip/**'] },
  { what: "Go's build cache", globs: ['**/.cache/go-build/**'] },
];

export const noCaches = (extra: ForbiddenPaths[] = []) =>
  forbiddenFilesCheck({
    id: 'no-caches',
    title: 'no package-manager caches (apt lists, npm, pip) in the final image',
    hint: 'Clean up in the same RUN that made the mess (`apt-get update && apt-get install … && rm -rf /var/lib/apt/lists/*`), use `npm ci` / `pip install --no-cache-dir`, or a BuildKit cache mount (`RUN --mount=type=cache,target=/root/.npm …`) so the cache never enters a layer.',
    slide: 'slides/07-shipping-safely.md#6',
    rules: [...PACKAGE_CACHES, ...extra],
    clean: (layers) => `no package-manager caches in ${layers}`,
  });
