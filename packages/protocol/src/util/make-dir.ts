/**
 * `mkdir -p` that always ends: creates `dir` and its missing parents, one level at a time.
 *
 * Node 20's `mkdirSync(dir, { recursive: true })` never returns on a directory that cannot
 * exist where its parent is (`/proc/nope`: mkdir answers ENOENT although /proc exists, and
 * the recursive walk retries forever, with 100% CPU). Here each level is tried at most twice
 * (before and after its parent), so such a path throws ENOENT like any other failed mkdir.
 * An existing directory is success; an existing file throws EEXIST, as `mkdir -p` fails.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function makeDir(dir: string): void {
  const path = resolve(dir);
  try {
    mkdirSync(path);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(path).isDirectory()) return;
      throw err;
    }
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw err;
    makeDir(parent);
  }
  try {
    mkdirSync(path);
  } catch (err) {
    // created by someone else between the two tries
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw err;
  }
}
