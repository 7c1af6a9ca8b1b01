import { plural } from '../format/bytes.js';
import { alsoFound, describeFinding, findForbidden, findingDetails, type ForbiddenPaths } from './findings.js';
import { fail, pass, type Check } from './types.js';

export type { ForbiddenPaths } from './findings.js';

export const noToolchain = ({ forbidden }: { forbidden: ForbiddenPaths[] }): Check => ({
  id: 'no-toolchain',
  title: `no build toolchain in the final image (${forbidden.map((f) => f.what).join(', ')})`,
  hint: 'Compile in a build stage and copy only the result into the final stage. Deleting tools with `RUN rm` in a later layer does not help: they still ship in the layer that added them.',
  slide: 'slides/02-multi-stage.md#5',
  needs: ['layers'],
  evaluate({ image }) {
    if (!image?.files || !image.layers) return fail('the image was not scanned');
    const findings = findForbidden(image.files, forbidden);
    if (findings.length === 0) {
      return pass(`none of ${forbidden.map((f) => f.what).join(', ')} in ${plural(image.layers.length, 'layer')} (${plural(image.files.length, 'file')})`);
    }
    return fail(`found ${describeFinding(findings[0]!, image.layers)}${alsoFound(findings, image.layers)}`, {
      findings: findingDetails(findings, image.layers),
    });
  },
});
