import type { Evidence } from '../../graders/checks/types.js';
import type { ImageFacts, LayerSummary } from '../../graders/inspect/image.js';
import type { FileEntry } from '../../graders/inspect/layers.js';
import { parseDockerfile } from '../../graders/lint/dockerfile.js';
import type { RunResult } from '../../graders/run/container.js';

export const SOLUTION_LIKE = `FROM golang:1.24-trixie AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app .
FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`;

export function layer(layerIndex: number, bytes: number, line?: number, keyword = 'COPY'): LayerSummary {
  return {
    layer: layerIndex,
    createdBy: `${keyword} …`,
    bytes,
    fileCount: 1,
    whiteouts: 0,
    ...(line
      ? { instruction: { keyword, args: '/out/app /app', line, flags: { from: 'build' } } }
      : { baseImage: 'golang:1.24-trixie', baseIsToolchain: true, from: { keyword: 'FROM', args: 'golang:1.24-trixie', line: 1, flags: {} } }),
  };
}

export function image(overrides: Partial<ImageFacts> = {}, files: FileEntry[] = []): ImageFacts {
  return {
    id: 'sha256:abc',
    size: 5_500_000,
    user: '65532',
    entrypoint: ['/app'],
    cmd: [],
    env: [],
    labels: {},
    history: [],
    standInBases: [],
    layers: [layer(0, 5_500_000, 6)],
    files,
    ...overrides,
  };
}

export function run(overrides: Partial<RunResult> = {}): RunResult {
  return { ready: true, readyMs: 120, probes: [{ name: 'GET /healthz', ok: true, status: 200, ms: 3 }], logTail: [], processUids: ['65532'], ...overrides };
}

export function evidence(overrides: Partial<Evidence> = {}, dockerfile = SOLUTION_LIKE): Evidence {
  return { lint: parseDockerfile(dockerfile), ...overrides };
}
