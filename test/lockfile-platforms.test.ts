/**
 * package-lock.json carries every platform build of the native dependencies, so `npm ci`
 * works on Linux x64/arm64 (glibc and musl), macOS x64/arm64 and Windows x64, not only on
 * the machine that last ran `npm install`: each build with the version the parent pins,
 * `resolved`, `integrity`, `optional` and its os/cpu/libc. Offline: reads the lockfile only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOCK = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, Entry>;
};

interface Entry {
  version?: string;
  resolved?: string;
  integrity?: string;
  optional?: boolean;
  dev?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
}

type Target =
  | 'linux-x64-glibc'
  | 'linux-x64-musl'
  | 'linux-arm64-glibc'
  | 'linux-arm64-musl'
  | 'darwin-x64'
  | 'darwin-arm64'
  | 'win32-x64';

const TARGETS: Record<Target, { os: string; cpu: string; libc?: string }> = {
  'linux-x64-glibc': { os: 'linux', cpu: 'x64', libc: 'glibc' },
  'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl' },
  'linux-arm64-glibc': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl' },
  'darwin-x64': { os: 'darwin', cpu: 'x64' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
  'win32-x64': { os: 'win32', cpu: 'x64' },
};

/** Native package -> the build serving each target; `anyLibc`: one Linux build for glibc and musl. */
const NATIVE: Record<string, { anyLibc?: boolean; builds: Record<Target, string> }> = {
  '@duckdb/node-bindings': {
    builds: {
      'linux-x64-glibc': '@duckdb/node-bindings-linux-x64',
      'linux-x64-musl': '@duckdb/node-bindings-linux-x64-musl',
      'linux-arm64-glibc': '@duckdb/node-bindings-linux-arm64',
      'linux-arm64-musl': '@duckdb/node-bindings-linux-arm64-musl',
      'darwin-x64': '@duckdb/node-bindings-darwin-x64',
      'darwin-arm64': '@duckdb/node-bindings-darwin-arm64',
      'win32-x64': '@duckdb/node-bindings-win32-x64',
    },
  },
  '@biomejs/biome': {
    builds: {
      'linux-x64-glibc': '@biomejs/cli-linux-x64',
      'linux-x64-musl': '@biomejs/cli-linux-x64-musl',
      'linux-arm64-glibc': '@biomejs/cli-linux-arm64',
      'linux-arm64-musl': '@biomejs/cli-linux-arm64-musl',
      'darwin-x64': '@biomejs/cli-darwin-x64',
      'darwin-arm64': '@biomejs/cli-darwin-arm64',
      'win32-x64': '@biomejs/cli-win32-x64',
    },
  },
  '@resvg/resvg-js': {
    builds: {
      'linux-x64-glibc': '@resvg/resvg-js-linux-x64-gnu',
      'linux-x64-musl': '@resvg/resvg-js-linux-x64-musl',
      'linux-arm64-glibc': '@resvg/resvg-js-linux-arm64-gnu',
      'linux-arm64-musl': '@resvg/resvg-js-linux-arm64-musl',
      'darwin-x64': '@resvg/resvg-js-darwin-x64',
      'darwin-arm64': '@resvg/resvg-js-darwin-arm64',
      'win32-x64': '@resvg/resvg-js-win32-x64-msvc',
    },
  },
  esbuild: {
    anyLibc: true,
    builds: {
      'linux-x64-glibc': '@esbuild/linux-x64',
      'linux-x64-musl': '@esbuild/linux-x64',
      'linux-arm64-glibc': '@esbuild/linux-arm64',
      'linux-arm64-musl': '@esbuild/linux-arm64',
      'darwin-x64': '@esbuild/darwin-x64',
      'darwin-arm64': '@esbuild/darwin-arm64',
      'win32-x64': '@esbuild/win32-x64',
    },
  },
};

/** The lockfile key Node resolves `name` to from the package at `from` (nearest node_modules up). */
function resolveFrom(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const key = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (LOCK.packages[key] !== undefined) return key;
    if (dir === '') return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at < 0 ? '' : dir.slice(0, at);
  }
}

describe('package-lock.json: platform builds of native packages', () => {
  for (const [parent, spec] of Object.entries(NATIVE)) {
    test(parent, () => {
      const parentKeys = Object.keys(LOCK.packages).filter(
        (k) => k === `node_modules/${parent}` || k.endsWith(`/node_modules/${parent}`),
      );
      assert.ok(parentKeys.length > 0, `${parent} is in the lockfile`);
      for (const parentKey of parentKeys) {
        const p = LOCK.packages[parentKey];
        for (const [target, name] of Object.entries(spec.builds) as [Target, string][]) {
          const where = `${name} (${target}, for ${parentKey})`;
          const version = p.optionalDependencies?.[name];
          assert.ok(version !== undefined, `${parent} lists ${name} in optionalDependencies`);
          const key = resolveFrom(parentKey, name);
          assert.ok(key !== undefined, `${where} has a lockfile entry`);
          const e = LOCK.packages[key];
          assert.equal(e.version, version, `${where}: version`);
          const base = name.split('/').pop();
          assert.equal(
            e.resolved,
            `https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`,
            `${where}: resolved`,
          );
          assert.match(e.integrity ?? '', /^sha512-[A-Za-z0-9+/]{86}==$/, `${where}: integrity`);
          assert.equal(e.optional, true, `${where}: optional`);
          assert.equal(e.dev === true, p.dev === true, `${where}: dev like ${parent}`);
          const t = TARGETS[target];
          assert.deepEqual(e.os, [t.os], `${where}: os`);
          assert.deepEqual(e.cpu, [t.cpu], `${where}: cpu`);
          const libc = spec.anyLibc === true || t.libc === undefined ? undefined : [t.libc];
          assert.deepEqual(e.libc, libc, `${where}: libc`);
        }
      }
    });
  }

  test('every optional build a native package names is in the lockfile, with resolved and integrity', () => {
    for (const parent of Object.keys(NATIVE)) {
      for (const [key, p] of Object.entries(LOCK.packages)) {
        if (key !== `node_modules/${parent}` && !key.endsWith(`/node_modules/${parent}`)) continue;
        for (const [name, version] of Object.entries(p.optionalDependencies ?? {})) {
          const at = resolveFrom(key, name);
          assert.ok(
            at !== undefined,
            `${name}@${version} (optional dependency of ${parent}) is in the lockfile`,
          );
          const e = LOCK.packages[at];
          assert.equal(e.version, version, name);
          assert.ok(e.resolved !== undefined && e.integrity !== undefined, `${at}: resolved and integrity`);
        }
      }
    }
  });

  test('scripts/lockfile-platforms.js --check agrees (offline)', () => {
    const r = spawnSync(process.execPath, ['scripts/lockfile-platforms.js', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /complete/);
  });
});
