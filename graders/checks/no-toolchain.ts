import { OPAQUE_DATA, PACKAGE_CACHES, type PathRule } from '../findings/index.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';
import { CHECK_INFO } from './registry.js';

export type { PathRule as ForbiddenPaths } from '../findings/index.js';

export interface NoToolchainOptions {
  forbidden: PathRule[];
  /** The lab's toolchain images: a copy of one of their forbidden files is found by its bytes, whatever its name. */
  toolchainImages?: string[];
}

export const noToolchain = ({ forbidden, toolchainImages }: NoToolchainOptions) => {
  const kinds = forbidden.map((f) => f.what).join(', ');
  return forbiddenFilesCheck({
    id: 'no-toolchain',
    ...CHECK_INFO['no-toolchain'],
    title: `${CHECK_INFO['no-toolchain'].title} (${kinds})`,
    // Data nothing can look into may hide any of them.
    rules: [...forbidden, OPAQUE_DATA],
    indexImages: toolchainImages,
    // What a runtime base image ships (python slim's headers, say) is not the student's doing.
    skipRuntimeBase: true,
    readArchives: true,
    // A package manager's cache holds package tarballs, sources and all: that is no-caches' finding.
    archivesIgnoredIn: PACKAGE_CACHES.flatMap((c) => c.globs),
    clean: (layers, files) => `none of ${kinds} in ${layers} (${files})`,
    hintFor: (f) => {
      if (f.example.endsWith('.class') && !f.sameAs) {
        return 'Package the compiled classes into a jar in the build stage (`jar --create --file app.jar --main-class … -C classes .`) and copy only the jar into the final stage.';
      }
      if (f.what === 'dev dependencies') {
        return `The app needs only its runtime dependencies: install them without the dev ones for the final image, with \`npm ci --omit=dev\` in the final stage (after copying package.json and package-lock.json) or in a stage of their own, or run \`npm prune --omit=dev\` in the build stage after building, before its node_modules is copied. The build's tools (TypeScript, the test runner) then stay behind in the build stage.`;
      }
      return undefined;
    },
  });
};
