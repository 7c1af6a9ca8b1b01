import { findConfigSecrets, SECRET_FILES, type PathRule } from '../findings/index.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';
import { CHECK_INFO } from './registry.js';

export { SECRET_FILES } from '../findings/index.js';

export interface NoSecretsOptions {
  extra?: PathRule[];
  /** Values the lab knows are secret (its `.env`): found by exact match in the image config. */
  knownValues?: string[];
}

export const noSecrets = (opts: NoSecretsOptions = {}) =>
  forbiddenFilesCheck({
    id: 'no-secrets',
    ...CHECK_INFO['no-secrets'],
    rules: [...SECRET_FILES, ...(opts.extra ?? [])],
    clean: (layers, files) => `no secret files in ${layers} (${files}), and none in the image config`,
    extra: ({ image, lint }) => findConfigSecrets(image, lint.ok ? lint.dockerfile : undefined, { knownValues: opts.knownValues }),
  });
