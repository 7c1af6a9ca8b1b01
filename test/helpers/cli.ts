import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../graders/kit/locations.js';

export const BIN = path.join(REPO_ROOT, 'bin', 'stagecraft.mjs');

/** The CLI's environment under test: as in CI (plain progress lines), never coloured. */
const cliEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: undefined, ...extra });

/** Run `stagecraft <args>` to the end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: cliEnv(env), timeout: timeoutMs });
}

/** Start `stagecraft <args>` and leave it running (to stop it midway). */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, stdio: StdioOptions = 'ignore') {
  return spawn(process.execPath, [BIN, ...args], { env: cliEnv(env), stdio });
}
