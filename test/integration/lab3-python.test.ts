import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { docker, ownerLabels } from '../../graders/engine/docker.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { labDir } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { check, failing, labSuite } from '../helpers/lab-suite.js';

const suite = labSuite({
  lab: 'lab3',
  starterFails: ['multi-stage', 'size', 'no-toolchain', 'no-caches'],
  starterMessages: [
    ['no-toolchain', /^found gcc: .*from the base image python:3.13-trixie/],
    ['no-toolchain', /^found C sources: \/app\/_hot\.c .*\(Dockerfile line 8\)$/m],
    ['no-caches', /^found apt's package lists: .*added by `RUN apt-get update && apt-get install -y gcc python3-dev make` \(Dockerfile line 5\)/],
  ],
  knownBad: [
    {
      file: 'c-source-in-final',
      fails: ['no-toolchain'],
      message: ['no-toolchain', /^found C sources: \/app\/_hot\.c .*added by `COPY --from=build \/src\/ \.\/` \(Dockerfile line 10\)/],
    },
    // The proof that the compiled module loads is the stamp it was compiled with.
    { file: 'extension-missing', fails: ['runs'], message: ['runs', /exited with code 1 before answering GET \/healthz.*No module named '_hot'/] },
    { file: 'apt-cache-left', fails: ['no-caches'], message: ['no-caches', /^found apt's package lists: .*\(Dockerfile line 8\)/] },
    {
      file: 'gcc-in-final',
      fails: ['no-toolchain', 'size'],
      message: ['no-toolchain', /^found gcc: .*added by `RUN apt-get update && apt-get install -y --no-install-recommends gcc python3.*\(Dockerfile line 8\)/],
    },
    // An alternative that passes: a distroless Python runtime.
    { file: 'distroless-runtime', fails: [] },
    // Upstream's slim ships Python's headers: compiling on slim with only gcc added works, and
    // the headers the runtime base ships are not the student's finding.
    { file: 'slim-build-stage', fails: [] },
    {
      file: 'final-full-python',
      fails: ['multi-stage', 'size', 'no-toolchain'],
      message: ['multi-stage', /the final image is built on python:3\.13-trixie, a toolchain image/],
    },
  ],
});

/**
 * The kit's _hot.c compiled in the toolchain image, outside any grade, with 24 X's where the
 * stamp goes (a stamp's length): what a student could bring in from elsewhere, gzipped and
 * in base64.
 */
async function moduleCompiledElsewhere(): Promise<string> {
  const source = await readFile(path.join(labDir({ id: 'lab3-python' }), '_hot.c'));
  const script =
    'cd /tmp && printf %s "$SRC" | base64 -d > _hot.c' +
    ` && gcc -O2 -s -shared -fPIC -I"$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" -DSTAMP='"${'X'.repeat(24)}"' -o _hot.so _hot.c` +
    ' && gzip -9c _hot.so | base64 -w0';
  const [out, err] = [new PassThrough(), new PassThrough()];
  const chunks: Buffer[] = [];
  const errors: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  err.on('data', (c: Buffer) => errors.push(c));
  const [status, container] = (await docker().run('python:3.13-trixie', ['sh', '-c', script], [out, err], {
    Env: [`SRC=${source.toString('base64')}`],
    Labels: ownerLabels(),
    HostConfig: { NetworkMode: 'none' },
  })) as [{ StatusCode: number }, { remove(o: object): Promise<unknown> }];
  await container.remove({ force: true });
  expect(status.StatusCode, Buffer.concat(errors).toString()).toBe(0);
  return Buffer.concat(chunks).toString().trim();
}

describe("lab3: a module compiled elsewhere, this build's stamp patched into it", () => {
  it("fails runs on the stamp function alone: every other check passes, and the stamp it serves is this build's", async () => {
    const lab = suite.lab();
    // The prebuilt module reaches the build context as it could from a package registry.
    const smuggled = { ...lab, contextFiles: { ...lab.contextFiles, 'prebuilt/_hot.so.b64': await moduleCompiledElsewhere() } };
    const r = await grade(smuggled, {
      dockerfile: { kind: 'path', path: path.join(REPO_ROOT, 'test', 'fixtures', lab.id, 'prebuilt-module-patched.Dockerfile') },
    });
    const why = r.checks.map((c) => `${c.passed ? '✓' : '✗'} ${c.id}: ${c.message}`).join('\n');
    expect(failing(r), why).toEqual(['runs']);
    expect(check(r, 'runs').message).toMatch(
      /^GET \/stamp\?x=\d+ \(this build's stamp\) answered this build's stamp, but "\d+" for the stamp function of x=\d+, where this build's gives \d+: the app was not compiled from this build's sources \(the grader writes a new stamp function into _hot\.c before every build\)$/,
    );
    expect(check(r, 'runs').hint).toMatch(/a new stamp function in _hot\.c\): build the app in the Dockerfile from the lab's sources/);
  });
});
