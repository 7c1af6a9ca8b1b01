import { readFileSync } from 'node:fs';
import path from 'node:path';
import { builds, noCaches, noSecrets, nonRoot, runs, size } from '../checks/index.js';
import { MB } from '../format/bytes.js';
import { REPO_ROOT } from '../kit/locations.js';
import { defineLab } from '../lab.js';
import { jsonProbe, jsonWhere, randomInt } from '../run/probes.js';

const ENV_FILE = path.join(REPO_ROOT, 'labs', 'lab6-hardening', '.env');

/** The values of the lab's .env whose names say they are secret (its token), to find them in the image config. */
function secretValues(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => /^\s*([A-Z0-9_]*(TOKEN|SECRET|PASSWORD|KEY))\s*=\s*(.+?)\s*$/.exec(line)?.[3])
    .filter((v): v is string => Boolean(v));
}

/** Zones whose rules have been stable for years, so Node's and Debian's zone data agree. */
const ZONES = ['UTC', 'Europe/Paris', 'Asia/Kolkata', 'America/New_York', 'Australia/Adelaide', 'Asia/Kathmandu', 'America/St_Johns', 'Asia/Tokyo'];

/** A zone's offset from UTC now, in minutes, from Node's own zone data. */
function offsetMinutes(zone: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(new Date())
    .find((p) => p.type === 'timeZoneName')!.value; // "GMT+05:30", or "GMT" for UTC
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

export default defineLab({
  id: 'lab6-hardening',
  title: 'Ship it safely',
  app: {
    stampCode: { file: 'main.go', language: 'go' },
    probes: [
      jsonWhere('/tls/roots', (got) =>
        typeof got.roots === 'number' && got.roots > 0
          ? undefined
          : `reported ${JSON.stringify(got.roots)} trusted root certificates: every HTTPS call the app makes would fail with "x509: certificate signed by unknown authority"`,
      ),
      jsonProbe(() => {
        const zone = ZONES[randomInt(ZONES.length)]!;
        return { path: `/time?zone=${encodeURIComponent(zone)}`, expect: { zone, offsetMinutes: offsetMinutes(zone) } };
      }),
    ],
  },
  buildNetwork: true, // the starter apt-get installs tzdata
  // A real checkout has a .git folder, and this one's config holds a token in its remote URL.
  // (A valid, empty repository: `go build` stamps the binary from it.)
  contextFiles: {
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.git/objects/': '',
    '.git/refs/heads/': '',
    '.git/config':
      '[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = https://student:ghp_FAKEfake0000token0000stagecraft@github.com/example/hookrelay.git\n',
    '.git/description': 'hookrelay\n',
  },
  checks: [
    builds(),
    // Not this lab's lesson, but a guard: the starter on debian:trixie-slim is about 145 MB
    // (57 MB of it apt lists that a later layer deletes in vain), the solution on scratch 7 MB.
    size({ ceiling: 160 * MB }),
    noSecrets({ knownValues: secretValues(ENV_FILE) }),
    noCaches(),
    nonRoot(),
    runs({ slide: 'slides/07-shipping-safely.md#7' }),
  ],
});
