import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { docker } from '../engine/docker.js';
import { LogTail } from './log-tail.js';

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

const MiB = 2 ** 20;

/**
 * A student's image, started the way testcontainers modules are written: the fluent API
 * for what it has, `beforeContainerCreated` for what it lacks (a pids limit, swap equal to
 * memory — none beyond it — and the port published on one host address only). Readiness
 * is an HTTP GET of the lab's ready path, never the default port wait: that one runs a
 * shell inside the container, and scratch or distroless images have none.
 */
export class GradedContainer extends GenericContainer {
  readonly log = new LogTail();
  private id?: string;
  private gaveUp = false;
  private settled = false;

  constructor(image: string, private readonly opts: GradedContainerOptions) {
    super(image);
    const ready = Wait.forHttp(opts.readyPath, opts.port).forStatusCode(200).withReadTimeout(500).withStartupTimeout(opts.startupTimeoutMs);
    // Wait.forHttp gives up by throwing, then stops the container: note it, so that stop is not taken for the app exiting.
    const waitUntilReady = ready.waitUntilReady.bind(ready);
    ready.waitUntilReady = async (...args) => {
      try {
        return await waitUntilReady(...args);
      } catch (err) {
        this.gaveUp = true;
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
    this.hostConfig.LogConfig = { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } };
    const key = `${this.opts.port}/tcp`;
    this.hostConfig.PortBindings = { ...this.hostConfig.PortBindings, [key]: [{ HostIp: this.opts.hostIp, HostPort: '0' }] };
  }

  protected override async containerCreated(containerId: string): Promise<void> {
    this.id = containerId;
  }

  /** The container's id once the engine created it. */
  get containerId(): string | undefined {
    return this.id;
  }

  /**
   * Start it and wait for the ready path; an app that exits first ends the wait at once,
   * with its exit code and whether the kernel killed it for memory.
   */
  async run(): Promise<Start> {
    const t0 = Date.now();
    const started = this.start().finally(() => (this.settled = true));
    const exited = this.exitBeforeReady();
    try {
      const first = await Promise.race([started.then((c) => ({ c })), exited.then((e) => ({ e }))]);
      if ('c' in first) return { kind: 'ready', container: first.c, readyMs: Date.now() - t0 };
      if (first.e) {
        // Ends testcontainers' own wait (it would otherwise wait for ports an exited container no longer has).
        await this.remove();
        await started.catch(() => undefined);
        return { kind: 'exited', ...first.e };
      }
      await started; // it gave up: throws
      throw new Error('unreachable');
    } catch (err) {
      if (this.gaveUp) return { kind: 'timed-out' };
      const status = (err as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 600) return { kind: 'refused', reason: engineReason(err as Error) };
      throw err;
    }
  }

  /**
   * Resolves when the container stops by itself before it is ready; undefined once the
   * start settled first (ready, refused, or the wait gave up and stopped it). Polls the
   * engine's state: the wait API cannot tell "created, not started yet" from "exited".
   */
  private async exitBeforeReady(): Promise<{ exitCode: number; oomKilled: boolean } | undefined> {
    while (!this.settled && !this.gaveUp) {
      await new Promise((r) => setTimeout(r, this.id ? 100 : 10));
      if (!this.id || this.settled || this.gaveUp) continue;
      const state = (await docker().getContainer(this.id).inspect().catch(() => undefined))?.State;
      if (!state) return undefined; // removed: testcontainers' own clean-up after a failed start
      const ranAndStopped = (state.Status === 'exited' || state.Status === 'dead') && !state.StartedAt.startsWith('0001');
      if (ranAndStopped && !this.gaveUp) return { exitCode: state.ExitCode, oomKilled: state.OOMKilled };
    }
    return undefined;
  }

  /** Remove the container, whatever its state; gone already is fine. */
  async remove(): Promise<void> {
    if (this.id) await docker().getContainer(this.id).remove({ force: true, v: true }).catch(() => undefined);
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
  return (caused ? caused[1]! : line).slice(0, 300);
}

export const memoryMiB = (bytes: number) => Math.round(bytes / MiB);
