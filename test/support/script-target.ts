/**
 * The fixture of the script tests: a path-counting local target and a temporary directory for
 * the scripts, opened before the file's tests and closed after them. `script(name, text)`
 * writes a script there with `$URL` replaced by the target's origin.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startPathCounter } from '@tickstorm/loadlab/testing';

export interface ScriptTarget {
  readonly srv: Awaited<ReturnType<typeof startPathCounter>>;
  readonly dir: string;
  script(name: string, text: string): string;
}

export function scriptTarget(prefix: string): ScriptTarget {
  let srv: ScriptTarget['srv'] | undefined;
  let dir: string | undefined;
  before(async () => {
    srv = await startPathCounter();
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(async () => {
    await srv?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get srv() {
      return srv!;
    },
    get dir() {
      return dir!;
    },
    script(name, text) {
      const f = join(dir!, name);
      writeFileSync(f, text.replaceAll('$URL', srv!.url.replace(/\/$/, '')));
      return f;
    },
  };
}
