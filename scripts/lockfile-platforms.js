#!/usr/bin/env node
// The npm registry this project's machines reach lacks some of Biome's per-platform
// packages (the non-linux-x64 builds). `npm install` then leaves them out of
// package-lock.json, and `npm ci` refuses a lockfile that misses an optional dependency.
// This adds each missing `@biomejs/cli-*` entry, restricted to its os/cpu (never fetched on
// linux-x64), as the public registry's lockfile would have it. Run it after `npm install`
// changes the lockfile: `node scripts/lockfile-platforms.js`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pk = lock.packages;
const biome = pk['node_modules/@biomejs/biome'];
const platforms = {
  'android-arm64': ['android', 'arm64'],
  'android-x64': ['android', 'x64'],
  'darwin-arm64': ['darwin', 'arm64'],
  'darwin-x64': ['darwin', 'x64'],
  'linux-arm64': ['linux', 'arm64', 'glibc'],
  'linux-arm64-musl': ['linux', 'arm64', 'musl'],
  'linux-x64': ['linux', 'x64', 'glibc'],
  'linux-x64-musl': ['linux', 'x64', 'musl'],
  'win32-arm64': ['win32', 'arm64'],
  'win32-x64': ['win32', 'x64'],
};
const added = [];
for (const [name, [os, cpu, libc]] of Object.entries(platforms)) {
  const key = `node_modules/@biomejs/cli-${name}`;
  if (pk[key] !== undefined) continue;
  pk[key] = {
    version: biome.version,
    cpu: [cpu],
    dev: true,
    license: biome.license,
    optional: true,
    os: [os],
    ...(libc === undefined ? {} : { libc: [libc] }),
    engines: biome.engines,
  };
  added.push(key);
}
lock.packages = Object.fromEntries(
  Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length === 0 ? 'lockfile complete' : `added ${added.join(', ')}`);
