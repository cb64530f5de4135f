#!/usr/bin/env node
// The package boundaries, checked on every `npm test`:
//   1. every `exports` entry of every workspace package names a file that exists;
//   2. no file reaches into another package by a relative path (its src/, test/ or bench/):
//      packages meet only through their names and `exports`;
//   3. `@tickstorm/*` imports name an exported subpath;
//   4. every package a package's src/ imports is declared in that package's `dependencies`
//      (tests and benchmarks may also use the root's devDependencies);
//   5. no cycles between the top-level folders of a package's src/.
// Prints what it checked and every problem, and exits 1 on any.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const problems = [];
const rel = (p) => relative(root, p).split(sep).join('/');

const packages = rootPkg.workspaces.map((w) => {
  const dir = join(root, w);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return { dir, pkg, name: pkg.name };
});
const byName = new Map(packages.map((p) => [p.name, p]));

// 1. exports name files that exist
for (const p of packages) {
  for (const [sub, target] of Object.entries(p.pkg.exports ?? {})) {
    const file = typeof target === 'string' ? target : (target.import ?? target.default);
    if (typeof file !== 'string' || !existsSync(join(p.dir, file)))
      problems.push(`${p.name}: exports["${sub}"] names ${JSON.stringify(file)}, which does not exist`);
  }
}

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT =
  /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;}(=])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

// Template literals blanked (newlines kept): a script a test writes out (`import http from
// 'k6/http'; ...`) is text, not an import of the test file. Quoted strings are skipped to their
// end on the line, so a quote or backtick inside one does not open a template.
function blankTemplates(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && (c === '`' || text[j] !== '\n'))
        j += text[j] === '\\' ? 2 : 1;
      const body = text.slice(i + 1, j);
      out += c + (c === '`' ? body.replace(/[^\n]/g, ' ') : body) + (text[j] ?? '');
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function importsOf(file) {
  const text = blankTemplates(
    readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')),
  );
  const lines = text.split('\n').map((l) => l.replace(/^\s*\/\/.*$/, ''));
  const out = [];
  for (const m of lines.join('\n').matchAll(IMPORT)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function ownerOf(file) {
  return packages.find((p) => file === p.dir || file.startsWith(p.dir + sep));
}

const builtins = new Set(builtinModules);
const isBuiltin = (s) => s.startsWith('node:') || builtins.has(s.split('/')[0]);
const packageOf = (spec) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];

const files = [
  ...packages.flatMap((p) => walk(p.dir, [])),
  ...['src', 'bench', 'test', 'examples', 'scripts', 'bin'].flatMap((d) => walk(join(root, d), [])),
];
const rootDeclared = new Set([
  ...Object.keys(rootPkg.dependencies ?? {}),
  ...Object.keys(rootPkg.devDependencies ?? {}),
]);

let imports = 0;
for (const file of files) {
  const owner = ownerOf(file);
  const inSrc = owner !== undefined && file.startsWith(join(owner.dir, 'src') + sep);
  for (const spec of importsOf(file)) {
    imports++;
    if (spec.startsWith('.')) {
      // 2. relative imports stay inside their own package
      const target = resolve(dirname(file), spec);
      const to = ownerOf(target);
      if (to !== undefined && to !== owner)
        problems.push(
          `${rel(file)}: imports '${spec}' inside ${to.name}; use '${to.name}' (its exports) instead`,
        );
      continue;
    }
    if (isBuiltin(spec)) continue;
    const name = packageOf(spec);
    // 3. workspace packages through their exports only
    const ws = byName.get(name);
    if (ws !== undefined) {
      const sub = spec === name ? '.' : `.${spec.slice(name.length)}`;
      if (ws.pkg.exports?.[sub] === undefined)
        problems.push(`${rel(file)}: imports '${spec}', which ${name} does not export`);
    }
    // 4. declared where used
    if (owner === undefined) {
      if (!rootDeclared.has(name) && name !== rootPkg.name)
        problems.push(`${rel(file)}: imports '${name}', not declared in the root package.json`);
      continue;
    }
    if (name === owner.name) continue;
    const deps = new Set(Object.keys(owner.pkg.dependencies ?? {}));
    const devDeps = new Set([...Object.keys(owner.pkg.devDependencies ?? {}), ...rootDeclared]);
    if (inSrc ? !deps.has(name) : !deps.has(name) && !devDeps.has(name))
      problems.push(
        `${rel(file)}: imports '${name}', not declared in ${owner.name}'s ${inSrc ? 'dependencies' : 'dependencies or the root devDependencies'}`,
      );
  }
}

// 5. folder cycles inside each package's src/
let cycles = 0;
for (const p of packages) {
  const src = join(p.dir, 'src');
  // A file at the top of src/ (index.ts, errors.ts) is a node of its own.
  const folderOf = (f) => relative(src, f).split(sep)[0];
  const edges = new Map();
  for (const file of walk(src, [])) {
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(src + sep)) continue;
      const a = folderOf(file);
      const b = folderOf(target);
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Map());
      const e = edges.get(a);
      if (!e.has(b)) e.set(b, []);
      e.get(b).push(`${rel(file)} -> ${spec}`);
    }
  }
  // Tarjan's strongly connected components
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const sccs = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const c = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) sccs.push(c);
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  for (const c of sccs) {
    cycles++;
    const via = c.flatMap((a) => c.flatMap((b) => edges.get(a)?.get(b) ?? []));
    problems.push(`${p.name}: folders in a cycle: ${c.sort().join(' <-> ')}\n      ${via.join('\n      ')}`);
  }
}

console.log(
  `boundaries: ${packages.length} packages, ${files.length} files, ${imports} imports; folder cycles: ${cycles}; problems: ${problems.length}`,
);
for (const p of problems) console.error(`  - ${p}`);
process.exit(problems.length === 0 ? 0 : 1);
