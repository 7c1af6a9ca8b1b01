import { PACKAGE_CACHES, type PathRule } from '../findings/index.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';

export { PACKAGE_CACHES } from '../findings/index.js';

export const noCaches = (extra: PathRule[] = []) =>
  forbiddenFilesCheck({
    id: 'no-caches',
    title: 'no package-manager caches (apt lists, npm, pip) in the final image',
    hint: "Clean up in the same RUN that made the mess: `apt-get update && apt-get install … && rm -rf /var/lib/apt/lists/*`, `npm ci --omit=dev && npm cache clean --force` (npm ci fills npm's cache too), `pip install --no-cache-dir`; or keep the cache out of every layer with a BuildKit cache mount (`RUN --mount=type=cache,target=/root/.npm npm ci …`).",
    slide: 'slides/07-shipping-safely.md#6',
    rules: [...PACKAGE_CACHES, ...extra],
    clean: (layers) => `no package-manager caches in ${layers}`,
  });
