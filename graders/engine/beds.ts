/**
 * The Docker engines the kit's own test beds bring up beside a machine's engine (`npm run engine`):
 * where each one's socket is and where its published ports are reached. The graders never need
 * this — they reach any engine by DOCKER_HOST — but the engine script and the tests that grade on
 * several engines must agree on it.
 */
export type BedName = '20.10' | '28' | '28c';

export interface Bed {
  name: BedName;
  /** What a person calls it. */
  title: string;
  /** Docker 28 in a namespace of its own; 20.10 is the machine's own engine. */
  beside: boolean;
  containerdStore: boolean;
  /** The environment that points the kit (and the docker CLI) at it. */
  env: { DOCKER_HOST?: string; TESTCONTAINERS_HOST_OVERRIDE?: string };
}

export const BED_RUN = '/run/stagecraft/engines';

/** The veth pair's addresses of a bed beside the machine: the host's end and the engine's. */
export function bedAddresses(name: '28' | '28c'): { hostIp: string; engineIp: string } {
  const net = name === '28c' ? 29 : 28;
  return { hostIp: `10.231.${net}.1`, engineIp: `10.231.${net}.2` };
}

export function bed(name: BedName): Bed {
  if (name === '20.10')
    return {
      name,
      title: "Docker 20.10 (the machine's own)",
      beside: false,
      containerdStore: false,
      env: { DOCKER_HOST: undefined, TESTCONTAINERS_HOST_OVERRIDE: undefined },
    };
  const containerdStore = name === '28c';
  return {
    name,
    title: containerdStore ? 'Docker 28, containerd image store' : 'Docker 28, classic image store',
    beside: true,
    containerdStore,
    env: { DOCKER_HOST: `unix://${BED_RUN}/${name}/docker.sock`, TESTCONTAINERS_HOST_OVERRIDE: bedAddresses(name).engineIp },
  };
}

export const BED_NAMES: BedName[] = ['20.10', '28', '28c'];
