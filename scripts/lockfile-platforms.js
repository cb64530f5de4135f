#!/usr/bin/env node
// Keeps every per-platform build of the project's native dependencies in package-lock.json,
// each with `resolved` and `integrity`, so that `npm ci` works on any machine, not only on
// the one that last ran `npm install`.
//
// npm writes an optional platform package into the lockfile only when its registry answers
// for it; on a machine whose npm is told to omit `resolved` (omit-lockfile-registry-resolved)
// or whose registry lacks a build, entries go missing or lose `resolved`/`integrity`, and
// `npm ci` on another platform then stops with "package.json and package-lock.json are not
// in sync". This fills in, for every native package below, each entry of the parent's
// `optionalDependencies` (the exact versions come from there), from the registry's own
// metadata (`npm view <name>@<version> --json`: dist.tarball, dist.integrity, os, cpu, libc).
//
//   node scripts/lockfile-platforms.js          fill in what is missing (uses the registry)
//   node scripts/lockfile-platforms.js --check  list what is missing and exit 1 (offline)
//
// Run it after `npm install` changes the lockfile. It is idempotent: a complete lockfile is
// left byte for byte as it is.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The platforms every native package must carry (where the package publishes them). */
export const PLATFORMS = {
  'linux-x64-glibc': { os: 'linux', cpu: 'x64', libc: 'glibc' },
  'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl' },
  'linux-arm64-glibc': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl' },
  'darwin-x64': { os: 'darwin', cpu: 'x64' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
  'win32-x64': { os: 'win32', cpu: 'x64' },
};

/**
 * Native package (the one whose optionalDependencies are the builds) -> name prefix of its
 * builds, and the suffix serving each platform of PLATFORMS. A suffix with `anyLibc` is one
 * build for glibc and musl alike (it declares no libc).
 */
export const NATIVE = {
  '@duckdb/node-bindings': {
    prefix: '@duckdb/node-bindings-',
    platforms: {
      'linux-x64-glibc': 'linux-x64',
      'linux-x64-musl': 'linux-x64-musl',
      'linux-arm64-glibc': 'linux-arm64',
      'linux-arm64-musl': 'linux-arm64-musl',
      'darwin-x64': 'darwin-x64',
      'darwin-arm64': 'darwin-arm64',
      'win32-x64': 'win32-x64',
    },
  },
  '@biomejs/biome': {
    prefix: '@biomejs/cli-',
    platforms: {
      'linux-x64-glibc': 'linux-x64',
      'linux-x64-musl': 'linux-x64-musl',
      'linux-arm64-glibc': 'linux-arm64',
      'linux-arm64-musl': 'linux-arm64-musl',
      'darwin-x64': 'darwin-x64',
      'darwin-arm64': 'darwin-arm64',
      'win32-x64': 'win32-x64',
    },
  },
  '@resvg/resvg-js': {
    prefix: '@resvg/resvg-js-',
    platforms: {
      'linux-x64-glibc': 'linux-x64-gnu',
      'linux-x64-musl': 'linux-x64-musl',
      'linux-arm64-glibc': 'linux-arm64-gnu',
      'linux-arm64-musl': 'linux-arm64-musl',
      'darwin-x64': 'darwin-x64',
      'darwin-arm64': 'darwin-arm64',
      'win32-x64': 'win32-x64-msvc',
    },
  },
  // esbuild publishes one Linux build per cpu, statically linked: no libc, no musl variant.
  esbuild: {
    prefix: '@esbuild/',
    anyLibc: true,
    platforms: {
      'linux-x64-glibc': 'linux-x64',
      'linux-x64-musl': 'linux-x64',
      'linux-arm64-glibc': 'linux-arm64',
      'linux-arm64-musl': 'linux-arm64',
      'darwin-x64': 'darwin-x64',
      'darwin-arm64': 'darwin-arm64',
      'win32-x64': 'win32-x64',
    },
  },
};

const NM = 'node_modules/';

/** Lockfile keys of every installed copy of `name` (hoisted or nested). */
function keysOf(packages, name) {
  return Object.keys(packages).filter((k) => k === `${NM}${name}` || k.endsWith(`/${NM}${name}`));
}

/** Where Node would resolve `name` from the package at `from`: the nearest node_modules up the tree. */
function resolveFrom(packages, from, name) {
  let dir = from;
  for (;;) {
    const key = `${dir === '' ? '' : `${dir}/`}${NM}${name}`;
    if (packages[key] !== undefined) return key;
    if (dir === '') return undefined;
    const at = dir.lastIndexOf(`/${NM}`);
    dir = at < 0 ? '' : dir.slice(0, at);
  }
}

/**
 * Everything the lockfile lacks: one item per platform build of a native package that is
 * absent, lacks `resolved`/`integrity`, or whose os/cpu/libc disagree with the table.
 */
export function findGaps(lock) {
  const packages = lock.packages;
  const gaps = [];
  for (const [parent, spec] of Object.entries(NATIVE)) {
    const parents = keysOf(packages, parent);
    for (const parentKey of parents) {
      const optional = packages[parentKey].optionalDependencies ?? {};
      for (const suffix of new Set(Object.values(spec.platforms))) {
        if (optional[`${spec.prefix}${suffix}`] === undefined) {
          gaps.push({ parentKey, name: `${spec.prefix}${suffix}`, problem: 'not published by the parent' });
        }
      }
      for (const [name, version] of Object.entries(optional)) {
        const key = resolveFrom(packages, parentKey, name);
        const entry = key === undefined ? undefined : packages[key];
        if (entry === undefined || entry.version !== version) {
          gaps.push({ parentKey, name, version, problem: entry === undefined ? 'missing' : 'wrong version' });
          continue;
        }
        const lacks = ['resolved', 'integrity'].filter((f) => typeof entry[f] !== 'string');
        if (entry.optional !== true) lacks.push('optional');
        if (lacks.length > 0)
          gaps.push({ parentKey, key, name, version, problem: `lacks ${lacks.join(', ')}` });
        for (const [platform, suffix] of Object.entries(spec.platforms)) {
          if (name !== `${spec.prefix}${suffix}`) continue;
          const want = PLATFORMS[platform];
          const libc = spec.anyLibc ? undefined : want.libc;
          const ok =
            sameList(entry.os, [want.os]) &&
            sameList(entry.cpu, [want.cpu]) &&
            sameList(entry.libc, libc === undefined ? undefined : [libc]);
          if (!ok)
            gaps.push({ parentKey, key, name, version, problem: `os/cpu/libc do not match ${platform}` });
        }
      }
    }
    if (parents.length === 0) gaps.push({ name: parent, problem: 'native package not in the lockfile' });
  }
  return gaps;
}

function sameList(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function npmView(name, version) {
  const out = execFileSync('npm', ['view', `${name}@${version}`, '--json'], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  const m = JSON.parse(out);
  return Array.isArray(m) ? m[m.length - 1] : m;
}

/** The lockfile entry npm itself writes for a platform build (same fields, same order). */
function entryFor(manifest, parentEntry) {
  const e = {
    version: manifest.version,
    resolved: manifest.dist.tarball,
    integrity: manifest.dist.integrity,
  };
  if (manifest.cpu !== undefined) e.cpu = manifest.cpu;
  if (parentEntry.dev === true) e.dev = true;
  if (manifest.libc !== undefined) e.libc = manifest.libc;
  if (manifest.license !== undefined) e.license = manifest.license;
  e.optional = true;
  if (manifest.os !== undefined) e.os = manifest.os;
  if (manifest.engines !== undefined) e.engines = manifest.engines;
  return e;
}

/** Fills in every gap it can from the registry; returns what it did. */
export function fill(lock, view = npmView) {
  const packages = lock.packages;
  const done = [];
  for (const gap of findGaps(lock)) {
    if (gap.version === undefined) throw new Error(`${gap.name}: ${gap.problem}`);
    const manifest = view(gap.name, gap.version);
    if (manifest.dist?.integrity === undefined || manifest.dist?.tarball === undefined) {
      throw new Error(`${gap.name}@${gap.version}: the registry gives no dist.tarball/dist.integrity`);
    }
    const fresh = entryFor(manifest, packages[gap.parentKey]);
    let key = gap.key;
    if (key === undefined) {
      // Hoisted when the top-level slot is free, else next to the parent.
      key =
        packages[`${NM}${gap.name}`] === undefined ? `${NM}${gap.name}` : `${gap.parentKey}/${NM}${gap.name}`;
      packages[key] = fresh;
    } else {
      const old = packages[key];
      if (old.integrity !== undefined && old.integrity !== fresh.integrity) {
        throw new Error(
          `${key}: lockfile integrity ${old.integrity} differs from the registry's ${fresh.integrity}`,
        );
      }
      // npm's own fields win where present; the registry's fill the rest.
      packages[key] = { ...fresh, ...old, resolved: fresh.resolved, integrity: fresh.integrity };
    }
    done.push(`${key} (${gap.problem})`);
  }
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'))),
  );
  return done;
}

function main() {
  const path = fileURLToPath(new URL('../package-lock.json', import.meta.url));
  const text = readFileSync(path, 'utf8');
  const lock = JSON.parse(text);
  if (process.argv.includes('--check')) {
    const gaps = findGaps(lock);
    if (gaps.length === 0) {
      console.log('lockfile-platforms: complete');
      return;
    }
    console.error('lockfile-platforms: package-lock.json lacks platform builds:');
    for (const g of gaps) {
      console.error(`  ${g.key ?? g.name}${g.version === undefined ? '' : `@${g.version}`}: ${g.problem}`);
    }
    console.error('run `node scripts/lockfile-platforms.js` to fill them in');
    process.exitCode = 1;
    return;
  }
  const done = fill(lock);
  const left = findGaps(lock);
  if (left.length > 0) {
    throw new Error(`still missing: ${left.map((g) => `${g.name} (${g.problem})`).join(', ')}`);
  }
  if (done.length === 0) {
    console.log('lockfile-platforms: complete');
    return;
  }
  const out = `${JSON.stringify(lock, null, 2)}\n`;
  if (out !== text) writeFileSync(path, out);
  console.log(`lockfile-platforms: filled in\n  ${done.join('\n  ')}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
