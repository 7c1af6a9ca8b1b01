/**
 * Current Dockerfile syntax (`COPY --link`, `RUN` heredocs) judged on the engine the suite runs
 * on. Where the engine's frontend has it (Docker 23 and later: API 1.42+), the Dockerfile is
 * graded like the same build written the old way, and passes. On an engine whose built-in
 * frontend is older (Docker 20.10, BuildKit 0.8, no `# syntax=` image offline): "could not
 * grade" in one line that names the feature, why, and the equivalent that works, never a
 * failed `builds` with the engine's "Unknown flag: link".
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../../graders/engine/docker.js';
import { CannotGrade } from '../../graders/engine/errors.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { findLab, type LabDefinition } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { engineOrFail, leftBehind, NOTHING_LEFT } from '../helpers/engine.js';

let lab: LabDefinition;
let dir: string;
let since: Awaited<ReturnType<typeof leftBehind>>;
let api = '';
/** Docker 23 and later (API 1.42+): the engine's own frontend has `--link` and heredocs. */
const modern = () => Number(api.split('.')[1]) >= 42;

beforeAll(async () => {
  await engineOrFail();
  lab = await findLab('lab1');
  dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-frontend-'));
  since = await leftBehind();
  api = ((await docker().version()) as { ApiVersion: string }).ApiVersion;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  expect(await since.added()).toEqual(NOTHING_LEFT);
});

/** A lab's reference solution with one line changed. */
async function solutionWith(name: string, from: string, to: string, labDir = 'lab1-go'): Promise<string> {
  const text = await readFile(path.join(REPO_ROOT, 'solutions', labDir, 'Dockerfile'), 'utf8');
  expect(text).toContain(from);
  const file = path.join(dir, `${name}.Dockerfile`);
  await writeFile(file, text.replace(from, to));
  return file;
}

describe("features the engine's built-in frontend lacks", () => {
  it('COPY --link: graded and passing where the engine has it; on Docker 20.10 could not grade, saying which feature, why and what works', async () => {
    const file = await solutionWith('link', 'COPY --from=build /out/wordsmith /wordsmith', 'COPY --link --from=build /out/wordsmith /wordsmith');
    const started = Date.now();
    const outcome = await grade(lab, { dockerfile: { kind: 'path', path: file } }).catch((err: unknown) => err);
    if (modern()) {
      expect(outcome).not.toBeInstanceOf(Error);
      expect((outcome as Awaited<ReturnType<typeof grade>>).checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
      return;
    }
    expect(outcome).toBeInstanceOf(CannotGrade);
    const message = (outcome as Error).message;
    expect(message).toMatch(
      /^line 19 uses `COPY --link`, which this engine cannot build: Docker 20\.10\.\d+ has an older built-in Dockerfile frontend \(Docker 23 and later have it\)/,
    );
    expect(message).toContain('To grade it here, drop `--link`');
    expect(message).not.toContain('Unknown flag');
    expect(message).not.toContain('\n');
    expect(Date.now() - started).toBeLessThan(15_000); // before any base image or build
  });

  it('an honest RUN heredoc: graded like the same commands on one line where the engine has heredocs; on Docker 20.10 could not grade, with the one-line equivalent', async () => {
    const file = await solutionWith('heredoc', 'RUN go mod download', 'RUN <<EOF\nset -eux\ngo mod download\nEOF');
    const outcome = await grade(lab, { dockerfile: { kind: 'path', path: file } }).catch((err: unknown) => err);
    if (modern()) {
      expect(outcome).not.toBeInstanceOf(Error);
      expect((outcome as Awaited<ReturnType<typeof grade>>).checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
      return;
    }
    expect((outcome as Error).message).toMatch(
      /^line 9 uses a heredoc \(`RUN <<EOF`\), which this engine cannot build: .* To grade it here, put its commands on one RUN, joined with `&&`/,
    );
  });

  it('the dependency install in a RUN heredoc (lab 2): cache-friendly finds it and the rebuild reuses it, where the engine has heredocs', async () => {
    const file = await solutionWith(
      'heredoc-install',
      'RUN --mount=type=cache,target=/root/.npm npm ci\n',
      'RUN --mount=type=cache,target=/root/.npm <<EOF\nset -eux\nnpm ci\nEOF\n',
      'lab2-node',
    );
    const outcome = await grade(await findLab('lab2'), { dockerfile: { kind: 'path', path: file } }).catch((err: unknown) => err);
    if (!modern()) {
      expect((outcome as Error).message).toMatch(/^line 9 uses a heredoc \(`RUN <<EOF`\), which this engine cannot build/);
      return;
    }
    expect(outcome).not.toBeInstanceOf(Error);
    const checks = (outcome as Awaited<ReturnType<typeof grade>>).checks;
    expect(checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    expect(checks.find((c) => c.id === 'cache-friendly')?.message).toMatch(
      /^after editing .+, `RUN [^`]*<<EOF[^`]*npm ci[^`]*` \(line 9\)( and `[^`]+` \(line \d+\))? came from the cache$/,
    );
  });

  it('COPY --chmod builds on every engine: only what the engine lacks is stopped', async () => {
    const file = await solutionWith('chmod', 'COPY --from=build /out/wordsmith /wordsmith', 'COPY --chmod=555 --from=build /out/wordsmith /wordsmith');
    const result = await grade(lab, { dockerfile: { kind: 'path', path: file } });
    expect(result.checks.find((c) => c.id === 'builds')).toMatchObject({ passed: true });
  });
});
