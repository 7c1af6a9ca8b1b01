import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the kit's parts are, for every layer to read (the ground floor: it imports nothing of
 * the graders). The kit's folder is the nearest with a package.json above graders/ (from
 * sources) or dist/graders/ (compiled).
 */
export const REPO_ROOT = (function findRoot(dir: string): string {
  return existsSync(path.join(dir, 'package.json')) || path.dirname(dir) === dir ? dir : findRoot(path.dirname(dir));
})(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'));

/** The labs' starters and the reference solutions, one folder per lab id. */
export const LABS_ROOT = path.join(REPO_ROOT, 'labs');
export const SOLUTIONS_ROOT = path.join(REPO_ROOT, 'solutions');
/** The stand-ins' recipe Dockerfiles (graders/standins/recipes/: data, read from the sources, not compiled). */
export const STANDIN_RECIPES = path.join(REPO_ROOT, 'graders', 'standins', 'recipes');

/** Where the kit keeps what it computes once (indexes, keys, the fence's probe): $STAGECRAFT_CACHE_DIR, else the user's cache folder. */
export function kitCacheDir(): string {
  if (process.env.STAGECRAFT_CACHE_DIR) return process.env.STAGECRAFT_CACHE_DIR;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'stagecraft');
}
