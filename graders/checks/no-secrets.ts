import { findConfigSecrets, SECRET_FILES, type PathRule } from '../findings/index.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';

export { SECRET_FILES } from '../findings/index.js';

export interface NoSecretsOptions {
  extra?: PathRule[];
  /** Values the lab knows are secret (its `.env`): found by exact match in the image config. */
  knownValues?: string[];
}

export const noSecrets = (opts: NoSecretsOptions = {}) =>
  forbiddenFilesCheck({
    id: 'no-secrets',
    title: 'no secrets in any layer (.env, private keys, credentials, .git), deleted or not, nor in the image config (ENV, LABEL, build arguments)',
    hint: 'Keep secrets out of the build context with a .dockerignore (.env, .git, *.key), and pass build-time secrets with `RUN --mount=type=secret,…`. Deleting a file in a later layer does not remove it: it stays readable in the layer that added it. ENV, LABEL and ARG values are recorded in the image (`docker inspect`, `docker history`): give the app its secrets when it starts (`docker run -e HOOKRELAY_TOKEN=…`, or a mounted file), never in the Dockerfile.',
    slide: 'slides/07-shipping-safely.md#4',
    rules: [...SECRET_FILES, ...(opts.extra ?? [])],
    clean: (layers, files) => `no secret files in ${layers} (${files}), and none in the image config`,
    extra: ({ image, lint }) => findConfigSecrets(image, lint.ok ? lint.dockerfile : undefined, { knownValues: opts.knownValues }),
  });
