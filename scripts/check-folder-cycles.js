#!/usr/bin/env node
// Checks that the folders of every packages/*/src form an acyclic graph. Each
// relative import (`import ... from './x'`, `export ... from './x'`, `import('./x')`)
// in packages/*/src/**/*.ts is an edge between the folders (first path segment under
// src/) of the importing and the imported file; a file directly in src/ (the package
// entry index.ts, errors.ts) is a node of its own, named by its file name, so that
// the entry re-exporting from folders and folders importing a shared root file are
// not a cycle. Strongly-connected components (Tarjan) with more than one node are
// printed with the file edges that make them, and the script exits 1. Otherwise it
// prints `folder cycles: 0` and exits 0.
// Plain Node ESM, no dependencies. Usage: node scripts/check-folder-cycles.js
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, 'packages');

/** Every *.ts file under dir, recursively, sorted. */
function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

// Static imports and re-exports (`from '...'`, including multi-line import lists),
// side-effect imports (`import '...'`) and dynamic imports (`import('...')`).
const SPECIFIER_PATTERNS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
  /\bimport\s*(['"])([^'"]+)\1/g,
  /\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
];

// A string literal (kept: import specifiers are strings) or a comment (dropped, so that a
// commented-out import does not count and a '/*' inside a string does not start a comment).
const STRING_OR_COMMENT =
  /('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;

function stripComments(text) {
  return text.replace(STRING_OR_COMMENT, (_m, str) => str ?? '');
}

function relativeSpecifiers(text) {
  const out = new Set();
  const code = stripComments(text);
  for (const pattern of SPECIFIER_PATTERNS) {
    for (const m of code.matchAll(pattern)) {
      const spec = m[2];
      if (spec.startsWith('./') || spec.startsWith('../')) out.add(spec);
    }
  }
  return [...out];
}

/** The folder (first segment under src/) of a file; the file name for files directly in src/. */
function folderOf(srcDir, file) {
  return relative(srcDir, file).split(sep)[0];
}

/** Tarjan's strongly-connected components over a Map<node, Set<node>>. */
function stronglyConnected(graph) {
  let index = 0;
  const indices = new Map();
  const lowlink = new Map();
  const onStack = new Set();
  const stack = [];
  const components = [];

  function visit(v) {
    indices.set(v, index);
    lowlink.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        lowlink.set(v, Math.min(lowlink.get(v), lowlink.get(w)));
      } else if (onStack.has(w)) {
        lowlink.set(v, Math.min(lowlink.get(v), indices.get(w)));
      }
    }
    if (lowlink.get(v) === indices.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component.sort());
    }
  }

  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return components;
}

let cycles = 0;
let folderCount = 0;
const packages = existsSync(packagesDir) ? readdirSync(packagesDir).sort() : [];
for (const pkg of packages) {
  const srcDir = join(packagesDir, pkg, 'src');
  if (!existsSync(srcDir) || !statSync(srcDir).isDirectory()) continue;

  const graph = new Map(); // folder -> Set<folder>
  const edges = new Map(); // "from\0to" -> [file edge, ...]
  for (const file of walk(srcDir)) {
    const from = folderOf(srcDir, file);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const spec of relativeSpecifiers(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), ...spec.split('/'));
      const rel = relative(srcDir, target);
      if (rel.startsWith('..')) continue; // outside src/: not a folder edge
      const to = folderOf(srcDir, target);
      if (to === from) continue;
      if (!graph.has(to)) graph.set(to, new Set());
      graph.get(from).add(to);
      const key = `${from}\0${to}`;
      if (!edges.has(key)) edges.set(key, []);
      edges.get(key).push(`${relative(srcDir, file).split(sep).join('/')} -> ${rel.split(sep).join('/')}`);
    }
  }
  folderCount += graph.size;

  for (const component of stronglyConnected(graph)) {
    if (component.length < 2) continue;
    cycles++;
    console.log(`packages/${pkg}/src: folder cycle: ${component.join(' <-> ')}`);
    const members = new Set(component);
    for (const from of component) {
      for (const to of [...graph.get(from)].sort()) {
        if (!members.has(to)) continue;
        for (const edge of edges.get(`${from}\0${to}`)) console.log(`  ${from} -> ${to}: ${edge}`);
      }
    }
  }
}

console.log(`folder cycles: ${cycles} (${folderCount} folders and root files checked)`);
process.exit(cycles > 0 ? 1 : 0);
