import { docker, OWNER_LABEL } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';

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
    throw new CannotGrade(`the Docker network ${GRADED_NETWORK} lets its containers reach each other (it was not made by stagecraft); remove it with \`docker network rm ${GRADED_NETWORK}\` and grade again`);
  }
  return GRADED_NETWORK;
}
