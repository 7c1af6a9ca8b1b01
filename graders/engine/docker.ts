import './deferred-parts.js'; // before dockerode: see there
import Docker from 'dockerode';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import { CannotGrade } from './errors.js';

/** Every image and container stagecraft makes carries this label, so cleanup can find them. */
export const OWNER_LABEL = 'org.stagecraft.owner';
const OWNER_VALUE = 'stagecraft';
/** Which grader process made it, `<host>/<pid>`: what is left by a grader that died can be swept. */
export const GRADER_LABEL = 'org.stagecraft.grader';

/** The labels on every image and container this process makes. */
export function ownerLabels(): Record<string, string> {
  return { [OWNER_LABEL]: OWNER_VALUE, [GRADER_LABEL]: `${hostname()}/${process.pid}` };
}

/** Where the engine is, in words a student recognises. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

export const START_ENGINE_HINT = 'start Docker (Docker Desktop, or `npm run engine` on a Debian/Ubuntu machine where you are root) and try again';

let client: Docker | undefined;

/** The dockerode client; it reads DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH like the docker CLI. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** Resolve when the engine answers; otherwise a one-line CannotGrade saying how to start one. */
export async function requireEngine(timeoutMs = 5000): Promise<Docker> {
  const d = docker();
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref());
  try {
    await Promise.race([d.ping(), timeout]);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CannotGrade(`no Docker engine answers at ${engineAddress()} (${why}): ${START_ENGINE_HINT}`);
  }
  return d;
}

/**
 * True when the engine is reachable; for tests and scripts that want to branch, not fail.
 * An engine that refuses the connection is gone at once; one busy with a grade's gigabyte
 * layer may take seconds to answer, and is not gone: it has `patienceMs` to answer.
 */
export async function engineAnswers(patienceMs = 15_000): Promise<boolean> {
  try {
    await requireEngine(patienceMs);
    return true;
  } catch {
    return false;
  }
}

/**
 * Is this image present in the local store? Only the engine's "no such image" is a no: an
 * engine that stopped answering must not pass for a missing image (that would start
 * building a base image against an engine that is gone).
 */
export async function imageExists(ref: string): Promise<boolean> {
  return (await imageId(ref)) !== undefined;
}

/** An image's id, or undefined when the engine has no image of that name; other failures throw. */
export async function imageId(ref: string): Promise<string | undefined> {
  try {
    return ((await docker().getImage(ref).inspect()) as { Id: string }).Id;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The query of a `POST /build` (BuildKit's when `version` is '2'); objects are sent as JSON. */
export interface BuildQuery {
  t?: string;
  dockerfile?: string;
  version: '1' | '2';
  [key: string]: unknown;
}

/**
 * Start a build: the context tar is the request's body, as the docker CLI sends a tar
 * context, and the engine's output streams back. `session`: open a BuildKit session first
 * (dockerode's own `buildImage`), through which BuildKit asks for a registry's credentials,
 * even anonymous ones: a build that pulls an image fails without one ("no active sessions").
 * A build of images already here goes without: opening one loads gRPC and parses a .proto
 * file first, about 70 ms a build. `signal` ends the request (the build then stops).
 */
export function postBuild(context: NodeJS.ReadableStream, query: BuildQuery, opts: { signal?: AbortSignal; session?: boolean } = {}): Promise<Readable> {
  if (opts.session)
    return docker().buildImage(context, { ...query, abortSignal: opts.signal } as Parameters<Docker['buildImage']>[1]) as unknown as Promise<Readable>;
  return new Promise((resolve, reject) =>
    docker().modem.dial(
      {
        path: '/build?',
        method: 'POST',
        file: context,
        options: query,
        abortSignal: opts.signal,
        isStream: true,
        statusCodes: { 200: true, 500: 'server error' },
      },
      (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream as Readable)),
    ),
  );
}

const containerdStore = new Map<string, Promise<boolean>>();

/**
 * Does the engine keep its images in the containerd image store (Docker Desktop's and
 * Docker 29's default), rather than the classic one? Asked once per engine and process; an
 * engine that does not answer is taken for the classic store this time.
 */
export function usesContainerdStore(): Promise<boolean> {
  const address = engineAddress();
  let known = containerdStore.get(address);
  if (!known) {
    known = docker()
      .info()
      .then(
        (info: { DriverStatus?: [string, string][] | null }) =>
          (info.DriverStatus ?? []).some(([key, value]) => key === 'driver-type' && value.startsWith('io.containerd.snapshotter')),
        () => {
          containerdStore.delete(address); // asked again next time
          return false;
        },
      );
    containerdStore.set(address, known);
  }
  return known;
}

/**
 * Wait for a pull/import/load progress stream to end; rejects on a transport error or on
 * an `error` message inside the stream (the engine reports failures in-band).
 */
export function followToEnd(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) =>
    docker().modem.followProgress(stream, (err: Error | null, output: { error?: string }[] = []) => {
      const failed = output.find((m) => m.error);
      if (err || failed) reject(err ?? new Error(failed!.error));
      else resolve();
    }),
  );
}

/** Remove an image, ignoring "already gone". */
export async function removeImage(ref: string): Promise<void> {
  try {
    await docker().getImage(ref).remove({ force: true, noprune: false });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

/** One record of BuildKit's build cache, as `docker buildx du --verbose` lists it. */
export interface BuildCacheRecord {
  ID: string;
  Type: string;
  Description: string;
  InUse: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
}

/**
 * The engine's build cache records. Only the build cache is asked for (engines before API
 * 1.42 ignore the filter and count everything): with the containerd image store, counting
 * the images too fails when one is removed while it counts ("snapshot … does not exist"),
 * which other graders on the engine do all the time. Such a miss is asked again.
 */
export async function buildCacheRecords(): Promise<BuildCacheRecord[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const df = await new Promise<{ BuildCache?: BuildCacheRecord[] | null }>((resolve, reject) =>
        docker().modem.dial(
          { path: '/system/df?', method: 'GET', options: { type: ['build-cache'] }, statusCodes: { 200: true, 500: 'server error' } },
          (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as { BuildCache?: BuildCacheRecord[] | null })),
        ),
      );
      return df.BuildCache ?? [];
    } catch (err) {
      if (!isNotFound(err) || attempt === 3) throw err;
    }
  }
}
