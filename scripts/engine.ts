/**
 * `npm run engine` — make sure a Docker engine answers. Where none does and this is a
 * Debian/Ubuntu machine where we are root, install Debian's docker.io and start dockerd in
 * the background (no systemd needed), logging to a file; otherwise say how to start one.
 *   STAGECRAFT_DOCKERD_LOG  where dockerd logs (default /var/log/stagecraft-dockerd.log)
 *   STAGECRAFT_ENGINE_WAIT  seconds to wait for it to answer (default 60)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { $, which } from 'zx';
import { engineAnswers } from '../graders/engine/docker.js';

const LOG = process.env.STAGECRAFT_DOCKERD_LOG ?? '/var/log/stagecraft-dockerd.log';
const WAIT_SECONDS = Number(process.env.STAGECRAFT_ENGINE_WAIT ?? 60);

const say = (line: string) => process.stderr.write(`engine: ${line}\n`);
const fail = (line: string): never => {
  say(line);
  process.exit(1);
};
const have = async (command: string) => Boolean(await which(command, { nothrow: true }));
const quiet = $({ quiet: true, nothrow: true, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });

if (await engineAnswers()) {
  say(`a Docker engine answers${process.env.DOCKER_HOST ? ` at ${process.env.DOCKER_HOST}` : ''}`);
  process.exit(0);
}
if (process.env.DOCKER_HOST) {
  fail(`no Docker engine answers at DOCKER_HOST=${process.env.DOCKER_HOST}; start that engine, or unset DOCKER_HOST to use a local one`);
}
if (process.getuid?.() !== 0 || !(await have('apt-get'))) {
  fail("no Docker engine answers. Start Docker (Docker Desktop, or 'sudo systemctl start docker') and run this again");
}

const dockerd = (await which('dockerd', { nothrow: true })) ?? '/usr/sbin/dockerd';
if (!(await have(dockerd))) {
  say("installing Debian's docker.io");
  const installed = (await quiet`apt-get update -qq`).ok && (await quiet`apt-get install -y -qq docker.io`).ok;
  if (!installed) fail('could not install docker.io with apt-get; install Docker yourself and run this again');
}

if (!(await quiet`pgrep -x dockerd`).ok) {
  say(`starting dockerd in the background (log: ${LOG})`);
  mkdirSync(path.dirname(LOG), { recursive: true });
  const log = openSync(LOG, 'a');
  // A daemon outlives this script, so it is spawned detached rather than awaited through zx.
  spawn(dockerd, [], { detached: true, stdio: ['ignore', log, log] }).unref();
}

for (let i = 0; i < WAIT_SECONDS; i++) {
  if (await engineAnswers()) {
    say('dockerd is up');
    process.exit(0);
  }
  await new Promise((r) => setTimeout(r, 1000));
}
const tail = (() => {
  try {
    return readFileSync(LOG, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
})();
fail(`dockerd did not answer within ${WAIT_SECONDS}s; the last lines of ${LOG}:\n${tail}`);
