import { labSuite } from '../helpers/lab-suite.js';

labSuite({
  lab: 'lab5',
  starterFails: ['multi-stage', 'size', 'no-toolchain'],
  starterMessages: [
    ['no-toolchain', /^found the Go toolchain: .*added by `RUN apt-get update && apt-get install -y --no-install-recommends golang-go` \(Dockerfile line 6\)/],
    ['no-toolchain', /front-end sources and build files \(\/app\/web\/.*, layer \d+, line 9\)/],
  ],
  knownBad: [
    { file: 'one-feeder', fails: ['multi-stage'], message: ['multi-stage', /^line 16: the final stage copies from 1 \(backend\) of the 2 build stages/] },
    { file: 'whole-web-folder', fails: ['no-toolchain'], message: ['no-toolchain', /^found Node\.js, npm or node_modules: .*\/srv\/web\/node_modules\/.*added by `COPY --from=frontend \/web \/srv\/web` \(Dockerfile line 15\)/] },
    { file: 'cgo-binary', fails: ['runs'], message: ['runs', /exec \/cipherdesk: no such file or directory/] },
    { file: 'template-served', fails: ['runs'], message: ['runs', /^GET \/ \(the built page\) answered a page that links no hashed script bundle/] },
    { file: 'debian-runtime', fails: ['size'], message: ['size', /from the base image debian:trixie-slim/] },
    // An alternative that passes: scratch instead of distroless static.
    { file: 'scratch-runtime', fails: [] },
  ],
});
