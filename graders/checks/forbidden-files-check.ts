import { plural } from '../format/bytes.js';
import { alsoFound, describeFinding, findForbidden, findingDetails, type ForbiddenPaths } from './findings.js';
import { fail, pass, type Check, type CheckId } from './types.js';

/**
 * The shape of every "these files must not ship" check (no-toolchain, no-caches,
 * no-secrets): scan every layer, deleted files included, and name the largest finding's
 * path, size, layer and Dockerfile line.
 */
export function forbiddenFilesCheck(spec: {
  id: CheckId;
  title: string;
  hint: string;
  slide: string;
  rules: ForbiddenPaths[];
  /** The pass message, given the layer and file counts. */
  clean: (layers: string, files: string) => string;
}): Check {
  return {
    id: spec.id,
    title: spec.title,
    hint: spec.hint,
    slide: spec.slide,
    needs: ['layers'],
    evaluate({ image }) {
      if (!image?.files || !image.layers) return fail('the image was not scanned');
      const findings = findForbidden(image.files, spec.rules);
      if (findings.length === 0) return pass(spec.clean(plural(image.layers.length, 'layer'), plural(image.files.length, 'file')));
      return fail(`found ${describeFinding(findings[0]!, image.layers)}${alsoFound(findings, image.layers)}`, {
        findings: findingDetails(findings, image.layers),
      });
    },
  };
}
