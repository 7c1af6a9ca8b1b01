import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../graders/buildkit/build.js';
import { docker, GRADER_LABEL, OWNER_LABEL, removeImage } from '../../graders/engine/docker.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { findLab, type LabDefinition } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { engineHost, gradedContainer, runAndProbe } from '../../graders/run/container.js';
import { DEFAULT_RUN_LIMITS } from '../../graders/run/limits.js';
import type { GradedContainer } from '../../graders/run/graded-container.js';
import { get } from '../../graders/run/http.js';
import { GRADED_NETWORK } from '../../graders/run/network.js';
import type { GradeResult } from '../../graders/pipeline/result.js';
import { startCli } from '../helpers/cli.js';
import { engineOrFail, leftBehind, NOTHING_LEFT } from '../helpers/engine.js';

/** A known image with Python, to serve a stamp and to try to read one. */
const PYTHON = 'python:3.13-slim-trixie';
const MiB = 2 ** 20;

/** Serves /healthz and /stamp (the stamp from $STAMP) on 8080. */
const SERVE = ['sh', '-c', 'mkdir -p /tmp/www && cd /tmp/www && echo ok > healthz && echo "$0" > stamp && exec python3 -m http.server 8080'];
/** Tries every URL it is given; exits 0 if it read any, 3 if none answered. */
const REACH = `
import sys, urllib.request
read = False
for url in sys.argv[1:]:
    try:
        print("read", url, urllib.request.urlopen(url, timeout=3).read().decode().strip()); read = True
    except Exception as e:
        print("could not read", url, type(e).__name__, e)
sys.exit(0 if read else 3)`;

let since: Awaited<ReturnType<typeof leftBehind>>;
beforeAll(async () => {
  await engineOrFail();
  since = await leftBehind();
});
afterAll(async () => {
  expect(await since.added()).toEqual(NOTHING_LEFT);
});

/** Runs for as long as the wait for it lasts: never answers its ready path. */
const NEVER_LISTENS = path.join(REPO_ROOT, 'test', 'fixtures', 'hostile', 'never-listens.Dockerfile');

/** The running container of the grader with this process id, as the engine sees it (polled until `done` settles). */
async function seenRunning(pid: number, done: Promise<unknown>) {
  const mine = `${GRADER_LABEL}=${hostname()}/${pid}`;
  let over = false;
  void done.finally(() => (over = true));
  for (;;) {
    const [running] = await docker().listContainers({ filters: { label: [mine], status: ['running'] } });
    if (running) return docker().getContainer(running.Id).inspect();
    if (over) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the container a grade runs, seen from the engine while the grade runs', () => {
  it("has every limit: 256 MiB and no swap, 128 processes, no capabilities, no new privileges, published on the engine's host address only, the graded network", async () => {
    const grading = grade(await findLab('lab1'), { dockerfile: { kind: 'path', path: NEVER_LISTENS }, runLimits: { startupTimeoutMs: 6_000 } });
    const seen = await seenRunning(process.pid, grading);
    const result = await grading;
    expect(seen, "the grade's container was never seen running").toBeDefined();
    const host = seen!.HostConfig;
    expect({ memory: host.Memory, swap: host.MemorySwap, pids: host.PidsLimit, cpus: host.NanoCpus }).toEqual({
      memory: 256 * MiB,
      swap: 256 * MiB,
      pids: 128,
      cpus: 1e9,
    });
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.NetworkMode).toBe(GRADED_NETWORK);
    // 127.0.0.1 for an engine in this machine's network; the host side of its namespace for a Docker beside it.
    expect(host.PortBindings?.['8080/tcp']?.map((b: { HostIp: string }) => b.HostIp)).toEqual([engineHost()]);
    expect(
      Object.values(seen!.NetworkSettings.Ports ?? {})
        .flat()
        .map((b) => (b as { HostIp: string }).HostIp),
    ).toEqual([engineHost()]);
    expect(seen!.Config.Labels?.[OWNER_LABEL]).toBe('stagecraft');
    const network = await docker().getNetwork(GRADED_NETWORK).inspect();
    expect(network.Options?.['com.docker.network.bridge.enable_icc']).toBe('false');
    // …and the grade still ends as it must, with its container gone.
    expect(result.checks.find((c) => c.id === 'runs')?.message).toMatch(/^nothing answered GET \/healthz on port 8080 within 6 s/);
  });

  it("runs under a lab's own run limits, and a grade's own over the lab's", async () => {
    const lab1 = await findLab('lab1');
    const lab: LabDefinition = { ...lab1, app: { ...lab1.app, runLimits: { memoryBytes: 192 * MiB, pids: 100, startupTimeoutMs: 5_000 } } };
    const grading = grade(lab, { dockerfile: { kind: 'path', path: NEVER_LISTENS }, runLimits: { pids: 64 } });
    const seen = await seenRunning(process.pid, grading);
    const result = await grading;
    expect(seen, "the grade's container was never seen running").toBeDefined();
    expect({ memory: seen!.HostConfig.Memory, pids: seen!.HostConfig.PidsLimit }).toEqual({ memory: 192 * MiB, pids: 64 });
    expect(result.checks.find((c) => c.id === 'runs')?.message).toMatch(/^nothing answered GET \/healthz on port 8080 within 5 s/);
  });

  it('runs under the limits given as flags: --run-memory, --run-pids, --run-cpus, --startup-timeout', async () => {
    const child = startCli(
      ['grade', 'lab1', '--dockerfile', NEVER_LISTENS, '--json', '--run-memory', '96m', '--run-pids', '48', '--run-cpus', '0.5', '--startup-timeout', '4'],
      {},
      ['ignore', 'pipe', 'ignore'],
    );
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const seen = await seenRunning(child.pid!, exited);
    expect(await exited).toBe(1);
    expect(seen, "the grade's container was never seen running").toBeDefined();
    const host = seen!.HostConfig;
    expect({ memory: host.Memory, swap: host.MemorySwap, pids: host.PidsLimit, cpus: host.NanoCpus }).toEqual({
      memory: 96 * MiB,
      swap: 96 * MiB,
      pids: 48,
      cpus: 5e8,
    });
    const result = JSON.parse(stdout) as GradeResult;
    expect(result.checks.find((c) => c.id === 'runs')?.message).toMatch(/^nothing answered GET \/healthz on port 8080 within 4 s/);
  });
});

describe('a run ends with its container removed', () => {
  const mine = () => docker().listContainers({ all: true, filters: { label: [`${GRADER_LABEL}=${hostname()}/${process.pid}`] } });
  const run = (probePath: string) =>
    runAndProbe({
      image: PYTHON,
      port: 8080,
      readyPath: '/healthz',
      limits: { ...DEFAULT_RUN_LIMITS, startupTimeoutMs: 15_000 },
      command: [...SERVE, 'a-stamp'],
      probes: [{ name: `GET ${probePath}`, path: probePath, judge: (a) => (a.status === 200 ? undefined : `answered ${a.status}`) }],
    });

  it('an app that answered every probe: the result comes while its removal is under way (the verdict does not wait for it), then it is gone', async () => {
    const { result, removed } = await run('/stamp');
    expect(result.ready).toBe(true);
    expect(result.probes.map((p) => p.ok)).toEqual([true]);
    await removed;
    expect(await mine()).toEqual([]);
  });

  it('an app that failed a probe: it is gone before the result comes, so the result has its whole output', async () => {
    const { result, removed } = await run('/missing');
    expect(result.probes.map((p) => p.problem)).toEqual(['answered 404']);
    expect(await mine()).toEqual([]);
    expect(result.logTail.join('\n')).toMatch(/"GET \/missing HTTP\/1\.1" 404/);
    await removed;
  });
});

describe('graded containers have no route to each other', () => {
  const stamp = randomBytes(8).toString('hex');
  let server: GradedContainer;
  let serverIp: string;
  let serverNetwork: string;
  let mappedPort: number;

  const graded = (command: string[]) =>
    gradedContainer({ image: PYTHON, port: 8080, readyPath: '/healthz', limits: { ...DEFAULT_RUN_LIMITS, startupTimeoutMs: 15_000 }, command });

  beforeAll(async () => {
    server = await graded([...SERVE, stamp]);
    const started = await server.run();
    if (started.kind !== 'ready') throw new Error(`the stamp server did not start: ${JSON.stringify(started)}`);
    mappedPort = started.container.getMappedPort(8080);
    serverNetwork = started.container.getNetworkNames()[0]!; // the graded network (asserted above)
    serverIp = started.container.getIpAddress(serverNetwork);
  });
  afterAll(() => server?.remove());

  it("the grader reads its /stamp through the port published on the engine's host address", async () => {
    expect((await get(`http://${engineHost()}:${mappedPort}/stamp`, 5000)).body.trim()).toBe(stamp);
  });

  it("another graded container cannot read it, neither over the bridge nor through the host's published port", async () => {
    const gateway = (await docker().getNetwork(serverNetwork).inspect()).IPAM?.Config?.[0]?.Gateway as string;
    const reacher = await graded(['python3', '-c', REACH, `http://${serverIp}:8080/stamp`, `http://${gateway}:${mappedPort}/stamp`]);
    try {
      const ended = await reacher.run();
      const output = (await reacher.log.tail()).join('\n');
      expect(ended, output).toMatchObject({ kind: 'exited', exitCode: 3 });
      expect(output).toMatch(new RegExp(`could not read http://${serverIp.replace(/\./g, '\\.')}:8080/stamp`));
      expect(output).not.toContain(stamp);
    } finally {
      await reacher.remove();
    }
  });

  it('a RUN step of a build cannot read it either', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-reach-'));
    const tag = `stagecraft-grade/reach:${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(path.join(dir, 'reach.py'), REACH);
      await writeFile(path.join(dir, 'Dockerfile'), `FROM ${PYTHON}\nCOPY reach.py /\nRUN python3 /reach.py http://${serverIp}:8080/stamp\n`);
      const build = await buildImage({ contextDir: dir, tag, timeoutMs: 120_000 });
      const output = `${build.failedStep?.error ?? ''}\n${(build.failedStep?.tail ?? []).join('\n')}`;
      expect(build.ok, output).toBe(false);
      expect(output).toMatch(/exit code:? 3|could not read/);
      expect(output).not.toContain(stamp);
    } finally {
      await removeImage(tag);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('(control) the same reach works between two containers on the default bridge: the probe itself is sound', async () => {
    let open: StartedTestContainer | undefined;
    const probe = new GenericContainer(PYTHON).withNetworkMode('bridge').withCommand(['python3', '-c', REACH, 'placeholder']);
    try {
      open = await new GenericContainer(PYTHON)
        .withNetworkMode('bridge')
        .withLabels({ [OWNER_LABEL]: 'stagecraft' })
        .withExposedPorts(8080)
        .withCommand([...SERVE, stamp])
        .withWaitStrategy(Wait.forHttp('/healthz', 8080).withStartupTimeout(15_000))
        .start();
      const ip = open.getIpAddress('bridge');
      const reached = await probe
        .withCommand(['python3', '-c', REACH, `http://${ip}:8080/stamp`])
        .withLabels({ [OWNER_LABEL]: 'stagecraft' })
        .withWaitStrategy(Wait.forOneShotStartup().withStartupTimeout(15_000))
        .start();
      const logs = await new Promise<string>((resolve) => {
        let text = '';
        void reached.logs().then((s) => s.on('data', (d) => (text += d)).on('end', () => resolve(text)));
      });
      expect(logs).toContain(`read http://${ip}:8080/stamp ${stamp}`);
      await reached.stop({ remove: true });
    } finally {
      await open?.stop({ remove: true });
    }
  });
});
