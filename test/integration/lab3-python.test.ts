import { labSuite } from '../helpers/lab-suite.js';

labSuite({
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
