import { labSuite } from '../helpers/lab-suite.js';

labSuite({
  lab: 'lab2',
  starterFails: ['multi-stage', 'size', 'no-toolchain', 'cache-friendly', 'no-caches'],
  starterMessages: [
    ['no-toolchain', /^found dev dependencies: .*node_modules.* added by `RUN npm install` \(Dockerfile line 7\)/],
    ['cache-friendly', /^after editing src\/app\.ts, `RUN npm install` \(line 7\) ran again: `COPY \. \.` \(line 6\) before it copies the edited file/],
    ['no-caches', /^found npm's cache: .*\/root\/\.npm\/_cacache/],
  ],
  knownBad: [
    // Issue 21: Debian's nodejs ships Node's own .d.ts files; they are Node.js, not the app's sources.
    { file: 'apt-nodejs-runtime', fails: [] },
    { file: 'sources-shipped', fails: ['no-toolchain'], message: ['no-toolchain', /^found TypeScript sources and config: .*\/app\/(src|tsconfig)/] },
    // Dev dependencies are heavy too: TypeScript, vitest and their tree push the image over the ceiling.
    {
      file: 'dev-deps-shipped',
      fails: ['no-toolchain', 'size'],
      message: ['no-toolchain', /^found dev dependencies: .*added by `COPY --from=build \/app\/node_modules \.\/node_modules`/],
      // Issue 21: the fix for this mistake, not "compile in a build stage".
      hint: ['no-toolchain', /`npm ci --omit=dev`.*`npm prune --omit=dev`/],
      // The layer the student can change is named first, the base image's share in one phrase.
      also: [
        [
          'size',
          /; the base image node:20-trixie-slim brings [\d.]+ MB \(\d+ layers?\); your Dockerfile's largest layers are [\d.]+ MB: layer \d+ of \d+, added by `COPY --from=build \/app\/node_modules \.\/node_modules` \(Dockerfile line 13\)/,
        ],
      ],
    },
    {
      file: 'sources-before-install',
      fails: ['cache-friendly'],
      message: ['cache-friendly', /`RUN --mount=type=cache,target=\/root\/\.npm npm ci` \(line 5\) ran again: `COPY \. \.` \(line 4\) before it/],
    },
    {
      file: 'npm-cache-left',
      fails: ['no-caches'],
      message: ['no-caches', /^found npm's cache: .*added by `RUN npm ci --omit=dev` \(Dockerfile line 15\)/],
      hint: ['no-caches', /npm ci --omit=dev && npm cache clean --force/],
    },
    // Issue 21: `npm install -g pnpm` was taken for the dependency install (a false pass).
    {
      file: 'pnpm-sources-before-install',
      fails: ['cache-friendly'],
      message: [
        'cache-friendly',
        /^after editing src\/app\.ts, `RUN pnpm import && pnpm install --frozen-lockfile` \(line 8\) ran again: `COPY \. \.` \(line 7\) before it copies the edited file/,
      ],
    },
    // Issue 21: pnpm through corepack was "no step installs the dependencies (<a regular expression>)" (a false fail).
    { file: 'corepack-pnpm', fails: [] },
    // Issue 21: yarn classic's install is the dependency install too.
    { file: 'corepack-yarn', fails: [] },
    { file: 'wrong-entrypoint', fails: ['runs'], message: ['runs', /^the container exited with code 0 before answering GET \/healthz/] },
  ],
});
