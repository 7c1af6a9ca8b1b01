import type Dockerode from 'dockerode';
import { docker, ownerLabels } from '../engine/docker.js';
import { onInterrupt } from '../cleanup/on-interrupt.js';
import { get } from './http.js';
import type { Answer, Probe, ProbeOutcome } from './probes.js';

export interface RunLimits {
  memoryBytes: number;
  cpus: number;
  pids: number;
  startupTimeoutMs: number;
  probeTimeoutMs: number;
}

export const DEFAULT_LIMITS: RunLimits = {
  memoryBytes: 256 * 1024 * 1024,
  cpus: 1,
  pids: 128,
  startupTimeoutMs: 20_000,
  probeTimeoutMs: 5_000,
};

export interface RunRequest {
  image: string;
  port: number;
  /** Polled until it answers 200: the app is up. */
  readyPath: string;
  probes: Probe[];
  limits: RunLimits;
  labels?: Record<string, string>;
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
  probes: ProbeOutcome[];
  /** The last lines the app printed. */
  logTail: string[];
  /** User ids of the processes in the container (from the engine's `top`). */
  processUids: string[];
}

const LOG_TAIL_LINES = 20;

/** The host where published ports are reachable: the engine's host for tcp:// engines. */
function engineHost(): string {
  const host = process.env.DOCKER_HOST;
  if (host && /^(tcp|http|https):\/\//.test(host)) return new URL(host.replace(/^tcp:/, 'http:')).hostname;
  return '127.0.0.1';
}

/** The engine multiplexes stdout and stderr in 8-byte-framed chunks when there is no TTY. */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 && buffer.length > 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

async function logTail(container: Dockerode.Container): Promise<string[]> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: LOG_TAIL_LINES, follow: false })) as unknown as Buffer;
    return demuxLogs(raw)
      .split('\n')
      .map((l) => l.trimEnd().slice(0, 300))
      .filter(Boolean)
      .slice(-LOG_TAIL_LINES);
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Start the image with resource limits, no capabilities and no new privileges, publish
 * its port on loopback, wait until `readyPath` answers, send the probes, then stop and
 * remove the container — also when interrupted.
 */
export async function runAndProbe(req: RunRequest): Promise<RunResult> {
  const portKey = `${req.port}/tcp`;
  const local = engineHost() === '127.0.0.1';
  const container = await docker().createContainer({
    Image: req.image,
    ExposedPorts: { [portKey]: {} },
    Labels: { ...ownerLabels(), ...req.labels },
    HostConfig: {
      PortBindings: { [portKey]: [{ HostIp: local ? '127.0.0.1' : '', HostPort: '' }] },
      Memory: req.limits.memoryBytes,
      MemorySwap: req.limits.memoryBytes,
      NanoCpus: Math.round(req.limits.cpus * 1e9),
      PidsLimit: req.limits.pids,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
    },
  });
  const release = onInterrupt(() => container.remove({ force: true, v: true }));
  const result: RunResult = { ready: false, probes: [], logTail: [], processUids: [] };
  try {
    await container.start();
    const info = await container.inspect();
    const hostPort = info.NetworkSettings.Ports?.[portKey]?.[0]?.HostPort;
    const base = `http://${engineHost()}:${hostPort}`;
    const started = Date.now();
    while (!result.ready) {
      const state = (await container.inspect()).State;
      if (!state.Running) {
        result.exitCode = state.ExitCode;
        result.oomKilled = state.OOMKilled;
        result.problem = state.OOMKilled
          ? `the container was killed for using more than ${Math.round(req.limits.memoryBytes / 2 ** 20)} MiB of memory`
          : `the container exited with code ${state.ExitCode} before answering GET ${req.readyPath}`;
        break;
      }
      if (Date.now() - started > req.limits.startupTimeoutMs) {
        result.problem = `nothing answered GET ${req.readyPath} on port ${req.port} within ${req.limits.startupTimeoutMs / 1000} s`;
        break;
      }
      try {
        const answer = await get(`${base}${req.readyPath}`, 1000);
        if (answer.status === 200) {
          result.ready = true;
          result.readyMs = Date.now() - started;
        }
      } catch {
        await sleep(150); // not listening yet
      }
    }
    if (result.ready) {
      for (const first of req.probes) {
        // A probe may lead to another (a page, then the asset it links): follow while they pass.
        for (let probe: Probe | undefined = first; probe; ) {
          const { outcome, answer } = await sendProbe(base, probe, req.limits.probeTimeoutMs);
          result.probes.push(outcome);
          probe = outcome.ok && answer ? probe.next?.(answer) : undefined;
        }
      }
      result.processUids = await processUids(container);
    }
    result.logTail = await logTail(container);
    return result;
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined);
    release();
  }
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
