/** Every check a lab can use; a lab's grader picks from these and sets their thresholds. */
export { builds } from './builds.js';
export { multiStage } from './multi-stage.js';
export { size } from './size.js';
export { noToolchain, type ForbiddenPaths } from './no-toolchain.js';
export { runs } from './runs.js';
export { noCaches } from './no-caches.js';
export { cacheFriendly } from './cache-friendly.js';
export { noSecrets } from './no-secrets.js';
export { nonRoot } from './non-root.js';
export type { Check, CheckId, Evidence, Verdict } from './types.js';
