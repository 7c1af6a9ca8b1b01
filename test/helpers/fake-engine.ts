import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FakeEngine {
  /** A folder of the test's own (the socket is in it; removed by stop()). */
  dir: string;
  /** Answer the engine's API with this handler. */
  start(handler: RequestListener): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A fake Docker engine on a socket of its own, for unit tests of what the kit asks of the
 * engine. DOCKER_HOST points at it from this call on: make it before importing the kit's
 * engine client, which reads DOCKER_HOST once.
 */
export function fakeEngine(name: string): FakeEngine {
  const dir = mkdtempSync(path.join(tmpdir(), `stagecraft-${name}-engine-`));
  const socket = path.join(dir, 'docker.sock');
  process.env.DOCKER_HOST = `unix://${socket}`;
  let server: Server | undefined;
  return {
    dir,
    async start(handler) {
      server = createServer(handler);
      await new Promise<void>((resolve) => server!.listen(socket, resolve));
    },
    async stop() {
      if (server) await new Promise((resolve) => server!.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
