import type Dockerode from 'dockerode';
import { GenericContainer, type StartedTestContainer, type WaitStrategy } from 'testcontainers';
import { docker } from '../engine/docker.js';
import { get } from './http.js';
import { demuxLogs, LogTail } from './log-tail.js';

export interface GradedContainerOptions {
  port: number;
  /** Polled over HTTP until it answers 200: the app is up. */
  readyPath: string;
  memoryBytes: number;
  cpus: number;
  pids: number;
  startupTimeoutMs: number;
  labels: Record<string, string>;
  /** The network it joins (the graded network: no route to other containers). */
  network: string;
  /** Published on this host address only (127.0.0.1 for a local engine). */
  hostIp: string;
  /** Where published ports are reached from here (the engine's host). */
  host: string;
  /** Only for tests that start a known image with a command of their own. */
  command?: string[];
}

/** How the start ended. */
export type Start =
  | { kind: 'ready'; container: StartedTestContainer; readyMs: number }
  | { kind: 'exited'; exitCode: number; oomKilled: boolean }
  | { kind: 'timed-out' }
  /** The engine answered, but would not create or start it (no command, no such entrypoint, no such user). */
  | { kind: 'refused'; reason: string };

/**
 * A student's image, started the way testcontainers modules are written: the fluent API
 * for what it has, `beforeContainerCreated` for what it lacks (a pids limit, swap equal to
 * memory — none beyond it — and the port published on one host address only). Readiness
 * is an HTTP GET of the lab's ready path, never the default port wait: that one runs a
 * shell inside the container, and scratch or distroless images have none.
 */
export class GradedContainer extends GenericContainer {
  readonly log = new LogTail();
  /** The engine's id for it, once created. */
  id?: string;
  /** How the app ended, when it stopped by itself before it was ready. */
  private exit?: { exitCode: number; oomKilled: boolean };
  /** The HTTP wait is under way (it notices an exit by itself from then on). */
  private waiting = false;
  private settled = false;

  constructor(
    image: string,
    private readonly opts: GradedContainerOptions,
  ) {
    super(image);
    const ready = new HttpReady(opts.host, opts.port, opts.readyPath).withStartupTimeout(opts.startupTimeoutMs);
    // When the wait fails, testcontainers stops and removes the container: read how it
    // ended first (it exited by itself, or it still runs and the wait ran out of time).
    const waitUntilReady = ready.waitUntilReady.bind(ready);
    ready.waitUntilReady = async (container, ...rest) => {
      this.waiting = true;
      try {
        return await waitUntilReady(container, ...rest);
      } catch (err) {
        const state = (await container.inspect().catch(() => undefined))?.State;
        if (state && !state.Running) this.exit ??= { exitCode: state.ExitCode, oomKilled: state.OOMKilled };
        throw err;
      }
    };
    this.withExposedPorts(opts.port)
      .withResourcesQuota({ memory: opts.memoryBytes / 1024 ** 3, cpu: opts.cpus })
      .withDroppedCapabilities('ALL')
      .withSecurityOpt('no-new-privileges')
      .withLabels(opts.labels)
      .withNetworkMode(opts.network)
      .withWaitStrategy(ready)
      .withLogConsumer(this.log.consume)
      // The grader removes it itself, once it has read its exit code and output.
      .withAutoRemove(false);
    if (opts.command) this.withCommand(opts.command);
  }

  protected override async beforeContainerCreated(): Promise<void> {
    this.hostConfig.PidsLimit = this.opts.pids;
    this.hostConfig.MemorySwap = this.hostConfig.Memory; // no swap beyond the memory limit
    // The engine's copy of the output is capped on disk; the grader follows at most 1 MB of it (LogTail).
    this.hostConfig.LogConfig = { Type: 'json-file', Config: { 'max-size': '16m', 'max-file': '1' } };
    const key = `${this.opts.port}/tcp`;
    this.hostConfig.PortBindings = { ...this.hostConfig.PortBindings, [key]: [{ HostIp: this.opts.hostIp, HostPort: '0' }] };
  }

  protected override async containerCreated(containerId: string): Promise<void> {
    this.id = containerId;
  }

  /**
   * Start it and wait for the ready path; an app that exits first ends the wait at once,
   * with its exit code and whether the kernel killed it for memory.
   */
  async run(): Promise<Start> {
    const t0 = Date.now();
    const started = this.start().finally(() => (this.settled = true));
    void this.watchForEarlyExit();
    try {
      const container = await started;
      return { kind: 'ready', container, readyMs: Date.now() - t0 };
    } catch (err) {
      if (this.exit) return { kind: 'exited', ...this.exit };
      if (this.waiting) return { kind: 'timed-out' };
      const status = (err as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 600) return { kind: 'refused', reason: engineReason(err as Error) };
      throw err;
    }
  }

  /**
   * An app that exits at once never gets its port published, and testcontainers would
   * wait 10 s for it: until the HTTP wait begins (which notices an exit by itself), watch
   * the engine's state, and on an exit note how it ended and remove the container, which
   * ends the start at once.
   */
  private async watchForEarlyExit(): Promise<void> {
    while (!this.settled && !this.waiting) {
      await new Promise((r) => setTimeout(r, this.id ? 50 : 10));
      if (!this.id || this.settled || this.waiting) continue;
      const state = (
        await docker()
          .getContainer(this.id)
          .inspect()
          .catch(() => undefined)
      )?.State;
      if (!state) return;
      // "created" is not yet started: only a container that ran and stopped has exited.
      const exited = (state.Status === 'exited' || state.Status === 'dead') && !state.StartedAt.startsWith('0001');
      if (exited && !this.waiting) {
        this.exit = { exitCode: state.ExitCode, oomKilled: state.OOMKilled };
        // It ended before testcontainers followed its output: take what the engine kept.
        const raw = await docker()
          .getContainer(this.id)
          .logs({ stdout: true, stderr: true, tail: 20, follow: false })
          .catch(() => undefined);
        if (raw) this.log.fillIfEmpty(demuxLogs(raw as unknown as Buffer));
        await this.remove();
        return;
      }
    }
  }

  /** Remove the container, whatever its state; gone already is fine. */
  async remove(): Promise<void> {
    if (this.id)
      await docker()
        .getContainer(this.id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
  }
}

/**
 * Ready when a GET of the ready path answers 200 at the engine's host. testcontainers' own
 * HTTP wait asks the host it worked out when it first started in this process, which, when
 * something else used it first, may be a gateway address the loopback-only port is not on.
 */
class HttpReady implements WaitStrategy {
  private startupTimeoutMs = 60_000;
  private startupTimeoutSet = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly path: string,
  ) {}

  withStartupTimeout(ms: number): this {
    this.startupTimeoutMs = ms;
    this.startupTimeoutSet = true;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return this.startupTimeoutSet;
  }
  getStartupTimeout(): number {
    return this.startupTimeoutMs;
  }

  async waitUntilReady(container: Dockerode.Container, boundPorts: { getBinding(port: number): number }): Promise<void> {
    const url = `http://${this.host}:${boundPorts.getBinding(this.port)}${this.path}`;
    const deadline = Date.now() + this.startupTimeoutMs;
    for (let pause = 10; ; pause = Math.min(2 * pause, 50)) {
      // Each attempt may take up to a second: a loaded machine answers slowly.
      if (
        await get(url, 1000).then(
          (a) => a.status === 200,
          () => false,
        )
      )
        return;
      // Not yet: is it still running? (Asked after the request, so an app up at once costs no round trip more.)
      const state = (await container.inspect()).State;
      if (!state.Running) throw new Error(`the container exited (code ${state.ExitCode}) before ${this.path} answered`);
      if (Date.now() > deadline) throw new Error(`${this.path} did not answer 200 within ${this.startupTimeoutMs} ms`);
      // Soon again at first (most apps listen within milliseconds), then every 50 ms.
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** The engine's reason in one line, without the HTTP wrapping and the runtime's boilerplate. */
export function engineReason(err: Error): string {
  const json = (err as { json?: { message?: string } }).json?.message;
  const raw = (json ?? err.message).replace(/^\(HTTP code \d+\)[^-]*- /, '');
  const line = raw.split('\n')[0]!.trim();
  // "… OCI runtime create failed: runc create failed: unable to start container process: exec: …: unknown"
  // (older runc: "… starting container process caused: exec: …: unknown"): keep what the process hit.
  const caused = /(?:unable to start container process|starting container process caused):\s*(.+?)(?::\s*unknown)?$/.exec(line);
  // The same words on every engine: runc 1.2+ adds "error during container init: ", and
  // Docker 20.10 says "No command specified" where 28 says "no command specified".
  const reason = (caused ? caused[1]! : line).replace(/^error during container init:\s*/, '');
  return (/^[A-Z][a-z]/.test(reason) ? reason.charAt(0).toLowerCase() + reason.slice(1) : reason).slice(0, 300);
}
