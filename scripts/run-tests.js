#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test and test/ with Node's own test runner
// (node:test), TypeScript loaded through tsx. Node 20 has no glob support in --test,
// so the files are listed here. Extra arguments are passed to `node --test`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not URL.pathname: a path with spaces (%20) or a Windows drive (/C:/...) stays a path.
const root = fileURLToPath(new URL('..', import.meta.url));
const roots = ['test', ...readdirSync(join(root, 'packages')).map((p) => join('packages', p, 'test'))];

function walk(dir, out) {
  if (!existsSync(join(root, dir))) return out;
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) walk(rel, out);
    else if (name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
let files = roots.flatMap((r) => walk(r, []));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...flags, ...files],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(res.status ?? 1);
