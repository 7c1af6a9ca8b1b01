import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEngine } from '../../helpers/fake-engine.js';

// This file's worker talks to a fake engine that has golang:1.24-trixie and nothing else, and answers slowly.
const engine = fakeEngine('bases');
const { catalogueImages, imagesNotHere, pulledByTheBuild } = await import('../../../graders/pipeline/base-images.js');
const { parseDockerfile } = await import('../../../graders/lint/dockerfile.js');

let inFlight = 0;
let mostAtOnce = 0;
beforeAll(() =>
  engine.start((req, res) => {
    inFlight++;
    mostAtOnce = Math.max(mostAtOnce, inFlight);
    setTimeout(() => {
      inFlight--;
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('/images/golang:1.24-trixie/json')) return res.end(JSON.stringify({ Id: 'sha256:go' }));
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'No such image' }));
    }, 50);
  }),
);
afterAll(() => engine.stop());

describe('the base images a grade needs', () => {
  it("are asked of the engine at once; the catalogue ones missing are the kit's to fetch, the others the build pulls", async () => {
    const parsed = parseDockerfile(
      Buffer.from(
        'FROM golang:1.24-trixie AS build\nFROM node:20-trixie-slim AS web\nFROM node:22-alpine AS online\nFROM gcr.io/distroless/static-debian13\nCOPY --from=build /a /a\n',
      ),
    );
    if (!parsed.ok) throw new Error(parsed.problem.message);
    const absent = await imagesNotHere(parsed.dockerfile);
    expect(mostAtOnce).toBe(4);
    expect(
      catalogueImages(absent)
        .map((m) => m.ref)
        .sort(),
    ).toEqual(['gcr.io/distroless/static-debian13', 'node:20-trixie-slim']);
    expect(pulledByTheBuild(absent)).toEqual(['node:22-alpine']);
  });
});
