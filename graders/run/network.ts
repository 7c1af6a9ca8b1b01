import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dropOwnLock, withLock, withLockSync } from '../cleanup/lock.js';
import { processAlive, processStartTime as startTime } from '../cleanup/processes.js';
import { docker, OWNER_LABEL } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { firstLine } from '../format/text.js';

/**
 * Graded containers run on a bridge of their own, created once and kept: with
 * inter-container communication off (`enable_icc=false`) no graded container can reach
 * another one on it, and Docker's isolation between bridges keeps containers and build
 * steps on the default bridge away from them. The grader still reaches each through its
 * port, published on 127.0.0.1.
 */
export const GRADED_NETWORK = 'stagecraft-graded';
const ICC = 'com.docker.network.bridge.enable_icc';

let ensured: Promise<string> | undefined;

/** The graded network's name, once it exists (created on first use, then remembered). */
export function gradedNetwork(): Promise<string> {
  ensured ??= ensure().catch((err) => {
    ensured = undefined; // try again next time: the engine may come back
    throw err;
  });
  return ensured;
}

async function find(): Promise<{ Options?: Record<string, string> } | undefined> {
  // The name filter matches substrings: keep the exact name only.
  const found = await docker().listNetworks({ filters: { name: [GRADED_NETWORK] } });
  return found.find((n) => n.Name === GRADED_NETWORK);
}

async function ensure(): Promise<string> {
  let network = await find();
  if (!network) {
    try {
      await docker().createNetwork({
        Name: GRADED_NETWORK,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [OWNER_LABEL]: 'stagecraft' },
        Options: { [ICC]: 'false' },
      });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err; // another grade made it first
    }
    network = await find();
  }
  if (network?.Options?.[ICC] !== 'false') {
    throw new CannotGrade(
      `the Docker network ${GRADED_NETWORK} lets its containers reach each other (it was not made by stagecraft); remove it with \`docker network rm ${GRADED_NETWORK}\` and grade again`,
    );
  }
  return GRADED_NETWORK;
}

/**
 * No route to the grading machine: graded containers (on the graded network) and build
 * steps with a network (on the engine's default bridge) may not open connections to any of
 * the host's own addresses — loopback is theirs already, but the bridge's gateway, the
 * host's LAN address and every other address the host answers on reach the host's services
 * — nor to link-local addresses (169.254.0.0/16: a cloud's metadata service). Rules in the
 * kernel's firewall, installed while grades run and removed by the last grader out:
 *
 * - `INPUT -i <bridge> -m conntrack --ctstate NEW -j REJECT`: every packet from a bridge to
 *   one of the host's addresses passes INPUT (whatever the address), and only a new
 *   connection is refused: the grader's own connections to a container's published port,
 *   and their replies, are untouched;
 * - `DOCKER-USER -i <bridge> -d 169.254.0.0/16 -j REJECT`: Docker's chain for forwarded
 *   traffic (link-local addresses elsewhere on the network).
 *
 * Each rule carries the comment `stagecraft-no-host`; they are found and removed by it.
 */
const RULE_TAG = 'stagecraft-no-host';
const LINK_LOCAL = '169.254.0.0/16';
/** One empty file per process holding the rules, named `<pid>-<start time>`. */
export const HOLDERS = '/run/stagecraft/host-rules';
/**
 * Taken around "hold, then install what is missing" and "let go, then remove if nobody
 * holds": otherwise a grader could find the rules in place just before the last holder
 * removes them, and grade without them.
 */
const LOCK = `${HOLDERS}.lock`;

/** The rules for these bridges, as iptables arguments after the chain. */
export function hostRules(bridges: string[]): { chain: 'INPUT' | 'DOCKER-USER'; args: string[] }[] {
  return bridges.flatMap((br) => [
    { chain: 'INPUT' as const, args: ['-i', br, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', RULE_TAG, '-j', 'REJECT'] },
    { chain: 'DOCKER-USER' as const, args: ['-i', br, '-d', LINK_LOCAL, '-m', 'comment', '--comment', RULE_TAG, '-j', 'REJECT'] },
  ]);
}

/** The filter table as `iptables-save` prints it: the kit's rules are found in it by their tag. */
const SAVE = ['iptables-save', ['-t', 'filter']] as const;
/** Changes go in one transaction (one commit, not one per rule), beside every other rule. */
const RESTORE = ['iptables-restore', ['-w', '5', '--noflush']] as const;

/** The lines that insert the rules for these bridges that the listing lacks (another grader's are there already). */
export function missingRuleInsertions(listing: string, bridges: string[]): string[] {
  const present = listing
    .split('\n')
    .filter((l) => l.includes(RULE_TAG))
    .map((l) => l.split(/\s+/));
  const has = (chain: string, args: string[]) =>
    present.some((t) => t[1] === chain && t.includes(args[1]!) && (chain !== 'DOCKER-USER' || t.includes(LINK_LOCAL)));
  return hostRules(bridges)
    .filter((r) => !has(r.chain, r.args))
    .map((r) => `-I ${r.chain} 1 ${r.args.join(' ')}`);
}

/** The lines that delete every rule of the kit's in the listing. */
export function taggedRuleDeletions(listing: string): string[] {
  return listing
    .split('\n')
    .filter((l) => l.startsWith('-A ') && l.includes(RULE_TAG))
    .map((l) => l.replace(/^-A /, '-D '));
}

const restoreScript = (lines: string[]) => `*filter\n${lines.join('\n')}\nCOMMIT\n`;
const firstErrorLine = (stderr: string, error?: Error) => (stderr || error?.message || '').trim().split('\n')[0] ?? '';

/** Run a command, without blocking the grade meanwhile. */
function run(command: readonly [string, readonly string[]], input?: string): Promise<{ ok: boolean; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command[1], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', (e) => resolve({ ok: false, out, err: firstErrorLine(err, e) }));
    child.once('close', (code) => resolve({ ok: code === 0, out, err: firstErrorLine(err) }));
    child.stdin.on('error', () => undefined); // a command that is not there: said by 'error'
    child.stdin.end(input ?? '');
  });
}

/** A process, as a holder's file is named. */
const holderName = (pid: number) => `${pid}-${startTime(pid) ?? 0}`;
const me = () => holderName(process.pid);

/** Other grader processes on this machine that hold the rules now. */
export function otherHolders(): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(HOLDERS);
  } catch {
    return [];
  }
  return names.filter((n) => {
    const [pid, started] = n.split('-');
    if (n === me()) return false;
    if (startTime(Number(pid)) === started) return true;
    rmSync(path.join(HOLDERS, n), { force: true }); // its grader died without removing the rules
    return false;
  });
}

let installed: Promise<string | undefined> | undefined;
/** This process's holder file is written: on its way out it lets go (and removes the rules, if it is the last). */
let holding = false;

/** On the way out of the process: whatever fails here, the next grader out removes the rules. */
function letGoOnExit(): void {
  try {
    if (holding) removeHostRules();
  } catch {
    // not removed now: the last holder after this one removes them
  }
}

/**
 * Install the rules for the default bridge and the graded network (once per process).
 * Resolves to undefined when they hold, else to the one line saying why not (an engine on
 * another machine, no iptables, not root).
 */
export function fenceHostNetwork(): Promise<string | undefined> {
  installed ??= (async () => {
    const host = process.env.DOCKER_HOST;
    if (host && !host.startsWith('unix://')) return `the engine is at ${host}: the grader cannot put firewall rules on its machine`;
    await gradedNetwork();
    const nets = await docker().listNetworks();
    const bridgeOf = (n: { Id: string; Name: string; Options?: Record<string, string> }) =>
      n.Options?.['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`;
    const bridges = nets.filter((n) => n.Name === 'bridge' || n.Name === GRADED_NETWORK).map(bridgeOf);
    // Before the lock: a process that ends while it installs lets go too.
    process.once('exit', letGoOnExit);
    const r = await withLock(LOCK, async () => {
      mkdirSync(HOLDERS, { recursive: true, mode: 0o700 });
      writeFileSync(path.join(HOLDERS, me()), '');
      holding = true;
      const listing = await run(SAVE);
      const insertions = listing.ok ? missingRuleInsertions(listing.out, bridges) : [];
      return insertions.length ? await run(RESTORE, restoreScript(insertions)) : listing;
    });
    if (!r.ok) {
      rmSync(path.join(HOLDERS, me()), { force: true }); // nothing to hold (no iptables here): nothing to run on the way out
      holding = false;
      return `the firewall rules that keep graded containers and build steps off this machine's services could not be installed (${r.err})`;
    }
    return undefined;
  })().catch((err: Error) => `the firewall rules could not be installed (${firstLine(err)})`);
  return installed;
}

/** Remove every rule tagged by the kit, unless another grader process still holds them. */
export function removeHostRules(): void {
  // Synchronous: it runs on the way out of the process ('exit'), where nothing awaits, and
  // where an install this process had under way will never give the lock back.
  dropOwnLock(LOCK);
  withLockSync(LOCK, () => {
    rmSync(path.join(HOLDERS, me()), { force: true });
    holding = false;
    if (otherHolders().length) return;
    const deletions = taggedRuleDeletions(spawnSync(SAVE[0], SAVE[1], { encoding: 'utf8' }).stdout ?? '');
    if (deletions.length) spawnSync(RESTORE[0], RESTORE[1], { input: restoreScript(deletions), encoding: 'utf8' });
  });
  installed = undefined;
}

/** Whether this process holds the rules now: installed, and not let go. */
export async function holdsRules(): Promise<boolean> {
  return Boolean(installed) && (await installed) === undefined && holding;
}

/**
 * Make another process (a grade's cleaner, cleanup/hand-off.ts) a holder of the rules this
 * process holds: they stay until it lets go, so this process's way out removes nothing and
 * the prompt does not wait for the firewall. False when it could not be written.
 */
export function handRulesTo(pid: number): boolean {
  try {
    writeFileSync(path.join(HOLDERS, holderName(pid)), '');
    return true;
  } catch {
    return false; // the grader, still a holder, removes them on its way out
  }
}

/**
 * In the process the rules were handed to: once the grader that handed them is gone (it
 * names this process a holder first, then exits), let go, removing them if nobody else holds
 * them. Never throws: rules left are removed by the next grader out.
 */
export async function releaseHandedRules(graderPid: number): Promise<void> {
  for (const deadline = Date.now() + 30_000; processAlive(graderPid) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  try {
    removeHostRules();
  } catch {
    // left for the next grader out
  }
}
