import { labSuite } from '../helpers/lab-suite.js';

labSuite({
  lab: 'lab6',
  starterFails: ['no-secrets', 'no-caches', 'non-root', 'runs'],
  starterMessages: [
    // Each finding on its own line.
    ['no-secrets', /^found an environment file: \/app\/\.env .*added by `COPY \. \.` \(Dockerfile line 12\); deleted in layer \d+, but still shipped$/m],
    ['no-secrets', /^found a Git repository's history: .*\/app\/\.git\/.*\(Dockerfile line 12\); deleted in layer \d+, but still shipped$/m],
    ['no-caches', /^found apt's package lists: .*\(Dockerfile line 9\); deleted in layer \d+, but still shipped/],
    ['non-root', /^the image runs as root: its user is not set/],
    ['runs', /^GET \/tls\/roots reported 0 trusted root certificates/],
  ],
  knownBad: [
    { file: 'scratch-without-certs', fails: ['runs'], message: ['runs', /reported 0 trusted root certificates: every HTTPS call the app makes would fail/] },
    {
      file: 'secrets-deleted-later',
      fails: ['no-secrets'],
      message: ['no-secrets', /^found an environment file: \/app\/\.env .*\(Dockerfile line 12\); deleted in layer \d+, but still shipped$/m],
    },
    {
      file: 'apt-lists-separate-run',
      fails: ['no-caches'],
      message: ['no-caches', /^found apt's package lists: .*\(Dockerfile line 8\); deleted in layer \d+, but still shipped/],
    },
    { file: 'runs-as-root', fails: ['non-root'], message: ['non-root', /^the image runs as root/] },
    { file: 'golang-runtime', fails: ['size'], message: ['size', /the base image golang:1\.24-trixie brings/] },
    // An alternative that passes: distroless static brings certificates, zone data and a user.
    { file: 'distroless-runtime', fails: [] },
    // #15: a live token in ENV is recorded in the image config.
    {
      file: 'token-in-env',
      fails: ['no-secrets'],
      message: [
        'no-secrets',
        /^found a credential in the image config \(a value of the lab's \.env\): ENV HOOKRELAY_TOKEN=hr_live_…e6b3, set on Dockerfile line 17$/,
      ],
    },
  ],
});
