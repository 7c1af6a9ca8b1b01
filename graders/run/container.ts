import type Dockerode from 'dockerode';
import { docker, ownerLabels } from '../engine/docker.js';
import { onInterrupt } from '../cleanup/on-interrupt.js';
import { formatMemory } from '../format/bytes.js';
import { GradedContainer } from './graded-container.js';
import { get } from './http.js';
import { gradedNetwork } from './network.js';
import type { RunLimits } from './limits.js';
import type { Answer, Probe, ProbeOutcome } from './probes.js';

export interface RunRequest {
  image: string;
  port: number;
  /** Polled until it answers 200: the app is up. */
  readyPath: string;
  probes: Probe[];
  limits: RunLimits;
  labels?: Record<string, string>;
  /** Only for tests that start a known image with a command of their own. */
  command?: string[];
}

export interface RunResult {
  /** The app answered `readyPath` in time. */
  ready: boolean;
  readyMs?: number;
  /** Set when the container stopped by itself. */
  exitCode?: number;
  oomKilled?: boolean;
  /** Why it is not ready, in one line, when it is not. */
  problem?: string;
  /** The engine answered but would not create or start the container: its reason, in one line. */
  refused?: string;
  probes: ProbeOutcome[];
  /** The last lines the app printed. */
  logTail: string[];
  /** User ids of the processes in the container (from the engine's `top`). */
  processUids: string[];
}

/** A tcp:// engine is another machine; a socket is this one (or a namespace of it). */
const remoteEngine = () => /^(tcp|http|https):\/\//.test(process.env.DOCKER_HOST ?? '');

/**
 * The address where published ports are reachable: testcontainers' own TESTCONTAINERS_HOST_OVERRIDE
 * where it is set (an engine in a network namespace or a VM of this machine), the engine's host for
 * tcp:// engines, else loopback.
 */
export function engineHost(): string {
  const override = process.env.TESTCONTAINERS_HOST_OVERRIDE;
  if (override) return override;
  if (remoteEngine()) return new URL(process.env.DOCKER_HOST!.replace(/^tcp:/, 'http:')).hostname;
  return '127.0.0.1';
}

/** A finished run: what it found, and the container's removal, already under way. */
export interface ProbedRun {
  result: RunResult;
  /** Resolves once the container is gone: its image may be removed after this. */
  removed: Promise<void>;
  /** The container's id, once the engine made it. */
  containerId?: string;
}

/**
 * Start the image with resource limits, no capabilities and no new privileges, on the
 * graded network, its port published on loopback; wait until `readyPath` answers, send
 * the probes, then remove the container — also when interrupted. An app that answered
 * every probe is removed while the verdict is written (its output so far is its log);
 * any other is removed first, so its log is whole before the result is.
 */
export async function runAndProbe(req: RunRequest): Promise<ProbedRun> {
  const container = await gradedContainer(req);
  const release = onInterrupt(() => container.remove(), 'running');
  const result: RunResult = { ready: false, probes: [], logTail: [], processUids: [] };
  let answered = false;
  try {
    const start = await container.run();
    if (start.kind === 'refused') {
      result.refused = start.reason;
      result.problem = `the engine could not start the container: ${start.reason}`;
    } else if (start.kind === 'exited') {
      result.exitCode = start.exitCode;
      result.oomKilled = start.oomKilled;
      result.problem = start.oomKilled
        ? `the container was killed for using more than ${formatMemory(req.limits.memoryBytes)} of memory`
        : `the container exited with code ${start.exitCode} before answering GET ${req.readyPath}`;
    } else if (start.kind === 'timed-out') {
      result.problem = `nothing answered GET ${req.readyPath} on port ${req.port} within ${req.limits.startupTimeoutMs / 1000} s`;
    } else {
      result.ready = true;
      result.readyMs = start.readyMs;
      const base = `http://${engineHost()}:${start.container.getMappedPort(req.port)}`;
      for (const first of req.probes) {
        // A probe may lead to another (a page, then the asset it links): follow while they pass.
        for (let probe: Probe | undefined = first; probe;) {
          const { outcome, answer } = await sendProbe(base, probe, req.limits.probeTimeoutMs);
          result.probes.push(outcome);
          probe = outcome.ok && answer ? probe.next?.(answer) : undefined;
        }
      }
      // After the probes: what the app started or became while answering them counts too.
      result.processUids = await processUids(docker().getContainer(start.container.getId()));
      answered = result.probes.every((p) => p.ok);
    }
  } catch (err) {
    await container.remove();
    release();
    throw err;
  }
  const removed = container.remove().finally(release);
  // A run that failed is judged on its whole output: the removal ends the followed log.
  result.logTail = answered ? await container.log.tail(0) : await removed.then(() => container.log.tail());
  return { result, removed, containerId: container.id };
}

/**
 * Get ready to run while something else takes the time (a build): the network exists,
 * testcontainers has found the engine. Errors surface when the run itself needs these.
 */
export async function warmUp(): Promise<void> {
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= engineHost();
  const { getContainerRuntimeClient, getReaper } = await import('testcontainers');
  await Promise.all([gradedNetwork(), getContainerRuntimeClient().then(getReaper)]).catch(() => undefined);
}

/** The container a grade runs, with every limit, on the graded network (not started yet). */
export async function gradedContainer(req: Omit<RunRequest, 'probes'>): Promise<GradedContainer> {
  // testcontainers works the engine's host out for itself, and inside a container (a CI job,
  // a dev container) it does so by pulling and running alpine; the grader knows the answer.
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= engineHost();
  return new GradedContainer(req.image, {
    port: req.port,
    readyPath: req.readyPath,
    memoryBytes: req.limits.memoryBytes,
    cpus: req.limits.cpus,
    pids: req.limits.pids,
    startupTimeoutMs: req.limits.startupTimeoutMs,
    labels: { ...ownerLabels(), ...req.labels },
    network: await gradedNetwork(),
    // Published on the one address the grader probes, never on every interface of a local engine.
    hostIp: remoteEngine() ? '' : engineHost(),
    host: engineHost(),
    command: req.command,
  });
}

async function sendProbe(base: string, probe: Probe, timeoutMs: number): Promise<{ outcome: ProbeOutcome; answer?: Answer }> {
  const started = Date.now();
  try {
    const answer = await get(`${base}${probe.path}`, timeoutMs);
    const problem = probe.judge(answer);
    return { outcome: { name: probe.name, ok: !problem, status: answer.status, problem, ms: Date.now() - started }, answer };
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    const problem = timedOut ? `no answer within ${timeoutMs / 1000} s` : `the connection failed (${(err as Error).message})`;
    return { outcome: { name: probe.name, ok: false, problem, ms: Date.now() - started } };
  }
}

async function processUids(container: Dockerode.Container): Promise<string[]> {
  try {
    // The engine runs the host's ps and needs its PID column to find the container's processes.
    const top = (await container.top({ ps_args: '-o pid,uid' })) as { Titles?: string[]; Processes?: string[][] };
    const column = (top.Titles ?? []).findIndex((t) => t.trim().toUpperCase() === 'UID');
    if (column < 0) return [];
    return (top.Processes ?? []).map((p) => p[column]!.trim());
  } catch {
    return [];
  }
}
