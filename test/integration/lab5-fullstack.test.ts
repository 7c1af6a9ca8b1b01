import { labSuite } from '../helpers/lab-suite.js';

labSuite({
  lab: 'lab5',
  starterFails: ['multi-stage', 'size', 'no-toolchain'],
  starterMessages: [
    ['no-toolchain', /^found the Go toolchain: .*added by `RUN apt-get update && apt-get install -y --no-install-recommends golang-go` \(Dockerfile line 6\)/],
    ['no-toolchain', /^found front-end sources and build files: \d+ of the lab's files, .* in \/app\/web\/ .*\(Dockerfile line 9\)$/m],
  ],
  knownBad: [
    // Issue 21: which stage copies from which, with the line, and lab 5's own hint.
    {
      file: 'one-feeder',
      fails: ['multi-stage'],
      message: [
        'multi-stage',
        /^line 16: the final stage copies from 1 \(backend\) of the 2 build stages this lab wants; backend copies from frontend \(`COPY --from=frontend \/web\/dist \/out\/www`, line 14\)/,
      ],
      hint: ['multi-stage', /^Fan in: .*`COPY --from=frontend \/web\/dist \/srv\/www` and `COPY --from=backend \/out\/cipherdesk \/cipherdesk`/],
    },
    {
      file: 'whole-web-folder',
      fails: ['no-toolchain'],
      message: [
        'no-toolchain',
        /^found Node\.js, npm or node_modules: .*\/srv\/web\/node_modules\/.*added by `COPY --from=frontend \/web \/srv\/web` \(Dockerfile line 15\)/,
      ],
    },
    { file: 'cgo-binary', fails: ['runs'], message: ['runs', /exec \/cipherdesk: no such file or directory/] },
    // The template is a front-end source wherever it is copied: no-toolchain finds it by its bytes too.
    {
      file: 'template-served',
      fails: ['runs', 'no-toolchain'],
      message: ['runs', /^GET \/ \(the built page\) answered a page that links no hashed script bundle/],
      also: [['no-toolchain', /^found front-end sources and build files: \/srv\/www\/index\.html \(531 B\), a copy of the lab's web\/index\.html/]],
    },
    { file: 'debian-runtime', fails: ['size'], message: ['size', /the base image debian:trixie-slim brings/] },
    {
      file: 'distroless-base-runtime',
      fails: ['size'],
      message: ['size', /the base image gcr\.io\/distroless\/base-debian13 brings/],
      hint: ['size', /static Go binary \(CGO_ENABLED=0\): it needs no C library/],
    },
    // A built page passes wherever it is served from; the sources fail wherever they are.
    { file: 'built-page-in-app-web', fails: [] },
    {
      file: 'web-sources-in-srv-www',
      fails: ['no-toolchain'],
      message: [
        'no-toolchain',
        /^found front-end sources and build files: 6 of the lab's files, .* in \/srv\/www\/ .*a copy of the lab's web\/package-lock\.json\), layer \d+ of \d+, added by `COPY web\/ \/srv\/www\/` \(Dockerfile line 22\)/,
      ],
    },
    // An alternative that passes: scratch instead of distroless static.
    { file: 'scratch-runtime', fails: [] },
  ],
});
