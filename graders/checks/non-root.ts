import { CHECK_INFO } from './registry.js';
import { fail, pass, type Check } from './types.js';

/** `""`, `root`, `0`, `0:0`, `root:staff`: the image config's user is root. */
export function isRootUser(user: string): boolean {
  const name = user.trim().split(':')[0] ?? '';
  return name === '' || name === 'root' || name === '0';
}

export const nonRoot = (): Check => ({
  id: 'non-root',
  ...CHECK_INFO['non-root'],
  needs: ['image', 'processes'],
  evaluate({ image, run }) {
    if (!image || !run) return fail('there is no image or it did not run');
    if (isRootUser(image.user))
      return fail(`the image runs as root: its user is ${image.user ? `"${image.user}"` : 'not set'} (no USER in the final stage)`, { user: image.user });
    const rootProcesses = run.processUids.filter((uid) => uid === '0').length;
    if (rootProcesses)
      return fail(`the image's user is "${image.user}", but ${rootProcesses} process(es) in the container run as uid 0`, {
        user: image.user,
        processUids: run.processUids,
      });
    return pass(`runs as "${image.user}" (uid ${[...new Set(run.processUids)].join(', ')})`, { user: image.user, processUids: run.processUids });
  },
});
