import type { ForbiddenPaths } from './findings.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';

/** Where the system keeps public certificates and keys: not secrets. */
const SYSTEM = ['etc/ssl/certs/**', 'usr/share/**', 'usr/lib/**', 'usr/local/lib/**', '**/node_modules/**'];

/** Files that hold credentials, and history that may: in any layer they can be read by anyone who pulls the image. */
export const SECRET_FILES: ForbiddenPaths[] = [
  { what: 'an environment file', globs: ['**/.env', '**/.env.*'], except: ['**/.env.example', '**/.env.sample', '**/.env.template', ...SYSTEM] },
  { what: 'a private key', globs: ['**/id_rsa', '**/id_dsa', '**/id_ecdsa', '**/id_ed25519', '**/*.key', '**/*.p12', '**/*.pfx', '**/*private*.pem'], except: SYSTEM },
  { what: 'a credentials file', globs: ['**/.npmrc', '**/.pypirc', '**/.netrc', '**/.aws/credentials', '**/.docker/config.json', '**/.git-credentials'], except: SYSTEM },
  { what: "a Git repository's history", globs: ['**/.git/**'], except: SYSTEM },
];

export const noSecrets = (extra: ForbiddenPaths[] = []) =>
  forbiddenFilesCheck({
    id: 'no-secrets',
    title: 'no secret files (.env, private keys, credentials, .git) in any layer, deleted or not',
    hint: 'Keep secrets out of the build context with a .dockerignore (.env, .git, *.key), and pass build-time secrets with `RUN --mount=type=secret,…`. Deleting a file in a later layer does not remove it: it stays readable in the layer that added it.',
    slide: 'slides/07-shipping-safely.md#4',
    rules: [...SECRET_FILES, ...extra],
    clean: (layers, files) => `no secret files in ${layers} (${files})`,
  });
