import { OPAQUE_DATA, PACKAGE_CACHES, type PathRule } from '../findings/index.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';

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
    title: `no build toolchain in the final image (${kinds})`,
    hint: 'Compile in a build stage and copy only the result into the final stage. Deleting tools with `RUN rm` in a later layer does not help: they still ship in the layer that added them; renaming them, packing them in an archive or moving them to a documentation folder does not hide them either.',
    slide: 'slides/02-multi-stage.md#6',
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
