import { PACKAGE_CACHES, type PathRule } from '../findings/index.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';
import { CHECK_INFO } from './registry.js';

export { PACKAGE_CACHES } from '../findings/index.js';

export const noCaches = (extra: PathRule[] = []) =>
  forbiddenFilesCheck({
    id: 'no-caches',
    ...CHECK_INFO['no-caches'],
    rules: [...PACKAGE_CACHES, ...extra],
    clean: (layers) => `no package-manager caches in ${layers}`,
  });
