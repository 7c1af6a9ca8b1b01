import type { DockerInstruction } from '../lint/dockerfile.js';

/** The instruction in full, as written (continuation lines joined): `RUN --mount=type=cache,… go build .` */
export function describeFull(ins: DockerInstruction): string {
  const flags = Object.entries(ins.flags).flatMap(([name, value]) =>
    name === 'mount' && ins.mounts ? ins.mounts.map((m) => `--mount=${m}`) : [value === null ? `--${name}` : `--${name}=${value}`],
  );
  return [ins.keyword, ...flags, ins.args].filter(Boolean).join(' ');
}
