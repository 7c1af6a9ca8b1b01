import type { ForbiddenPaths } from './findings.js';
import { forbiddenFilesCheck } from './forbidden-files-check.js';

export type { ForbiddenPaths } from './findings.js';

export const noToolchain = ({ forbidden }: { forbidden: ForbiddenPaths[] }) => {
  const kinds = forbidden.map((f) => f.what).join(', ');
  return forbiddenFilesCheck({
    id: 'no-toolchain',
    title: `no build toolchain in the final image (${kinds})`,
    hint: 'Compile in a build stage and copy only the result into the final stage. Deleting tools with `RUN rm` in a later layer does not help: they still ship in the layer that added them.',
    slide: 'slides/02-multi-stage.md#6',
    rules: forbidden,
    clean: (layers, files) => `none of ${kinds} in ${layers} (${files})`,
  });
};
