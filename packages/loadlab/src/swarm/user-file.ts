/**
 * Loads a user file (`tickstorm swarm -f FILE`): a TypeScript or JavaScript module whose
 * exported `User` subclasses are the user classes and whose exported `LoadTestShape`
 * subclass (if any) drives the load. Every problem is reported at once (UserFileError's
 * `problems`, exit code 104 in the CLI), k6 style.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LabError, LabErrorCode } from '../errors.ts';
import { registerScriptModules } from '../script/register.ts';
import { scriptErrorText } from '../script/script-error.ts';
import { importFile } from '../util/import-file.mjs';
import { hostProblem } from './http-session.ts';
import { fixedCountOf, HttpUser, LoadTestShape, User, type UserClass } from './user.ts';

/** Every problem with a user file (LAB_ERR_INVALID_USER_FILE, exit 104). */
export class UserFileError extends LabError {
  declare readonly problems: string[];
  constructor(problems: string[], cause?: unknown) {
    super(LabErrorCode.INVALID_USER_FILE, problems.join('\n'), { problems, cause });
    this.name = 'UserFileError';
  }
}

export interface UserFile {
  /** Absolute path (workers import it again). */
  path: string;
  /** Every usable user class, by exported name (a module namespace lists names alphabetically). */
  classes: Map<string, UserClass>;
  shape: LoadTestShape | null;
}

export async function loadUserFile(file: string): Promise<UserFile> {
  const path = resolve(file);
  const many = manyFilesProblem(file, path);
  if (many !== undefined) throw new UserFileError([many]);
  if (!existsSync(path)) throw new UserFileError([`-f/--locustfile: no such file: ${file}`]);
  if (/\.py$/i.test(path))
    throw new UserFileError([
      `-f/--locustfile: ${file} is a Python locustfile; tickstorm swarm runs a TypeScript or JavaScript module exporting HttpUser classes (docs/swarm.md, "The user file")`,
    ]);
  let mod: Record<string, unknown>;
  try {
    // `@tickstorm/loadlab/swarm` resolves from a file anywhere on disk (a locustfile's home)
    registerScriptModules(path);
    mod = (await importFile(path)) as Record<string, unknown>;
  } catch (e) {
    // the error and its place in the file (a syntax error's line, a throw's frames), as `run FILE` shows it
    throw new UserFileError([`${file}: cannot be loaded: ${scriptErrorText(e, path)}`], e);
  }
  const problems: string[] = [];
  const classes = new Map<string, UserClass>();
  const shapes: LoadTestShape[] = [];
  for (const [name, v] of Object.entries(mod)) {
    if (typeof v !== 'function' || v === User || v === HttpUser) continue;
    if (v.prototype instanceof LoadTestShape) {
      shapes.push(new (v as new () => LoadTestShape)());
      continue;
    }
    if (!(v.prototype instanceof User)) continue;
    const cls = v as UserClass;
    if (Object.hasOwn(cls, 'abstract') && cls.abstract === true) continue;
    problems.push(...checkClass(name, cls));
    classes.set(name, cls);
  }
  if (classes.size === 0)
    problems.push(`${file}: exports no User class (export class X extends HttpUser {...})`);
  if (shapes.length > 1)
    problems.push(`${file}: exports ${shapes.length} LoadTestShape classes; at most one`);
  if (problems.length > 0) throw new UserFileError(problems);
  return { path, classes, shape: shapes[0] ?? null };
}

/**
 * Locust 2.x's `-f` also takes a directory (every locustfile in it) or a comma-separated list of
 * files; here `-f` is one module, so either is named as such, with the one-file equivalent.
 */
function manyFilesProblem(file: string, path: string): string | undefined {
  const reexport =
    "write one user file that re-exports their classes (export { Reader } from './readers.ts';)";
  if (existsSync(path) && statSync(path).isDirectory())
    return `-f/--locustfile: ${file} is a directory; swarm takes one user file, not Locust's directory of locustfiles: ${reexport}`;
  if (
    !existsSync(path) &&
    file.includes(',') &&
    file.split(',').some((f) => f !== '' && existsSync(resolve(f)))
  )
    return `-f/--locustfile: '${file}' is a list of files; swarm takes one user file, not Locust's comma-separated locustfiles: ${reexport}`;
  return undefined;
}

function checkClass(name: string, cls: UserClass): string[] {
  const out: string[] = [];
  const isCount = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (cls.weight !== undefined && !isCount(cls.weight))
    out.push(`${name}.weight must be an integer >= 0, got ${String(cls.weight)}`);
  const fixedName = cls.fixedCount !== undefined ? 'fixedCount' : 'fixed_count';
  const fixed = fixedCountOf(cls);
  if (fixed !== undefined && !isCount(fixed))
    out.push(`${name}.${fixedName} must be an integer >= 0, got ${String(fixed)}`);
  if (cls.sequential !== undefined && typeof cls.sequential !== 'boolean')
    out.push(`${name}.sequential must be true or false, got ${String(cls.sequential)}`);
  const badHost = cls.host === undefined ? null : hostProblem(cls.host, `${name}.host`);
  if (badHost !== null) out.push(badHost);
  const t = cls.tasks;
  if (Array.isArray(t)) {
    // Locust's list form (tasks = [a, b]) has no weights; say how to write it here
    const names = t.map((x) => (typeof x === 'function' ? x.name : String(x)));
    const eg = names.map((n) => `${n}: 1`).join(', ');
    out.push(`${name}.tasks is a list: give each method a weight, static tasks = tasks<${name}>({ ${eg} })`);
    return out;
  }
  if (t === null || typeof t !== 'object' || Object.keys(t).length === 0) {
    out.push(`${name}.tasks is empty: name at least one method, e.g. static tasks = { browse: 1 }`);
    return out;
  }
  for (const [task, w] of Object.entries(t)) {
    if (typeof (cls.prototype as unknown as Record<string, unknown>)[task] !== 'function')
      out.push(`${name}.tasks names '${task}', which is not a method of ${name}`);
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 1)
      out.push(`${name}.tasks['${task}'] must be an integer weight >= 1, got ${String(w)}`);
  }
  return out;
}

/** The classes to run: those named (on the command line / class picker), or all. */
export function pickClasses(file: UserFile, names: readonly string[]): UserClass[] {
  if (names.length === 0) return [...file.classes.values()];
  const unknown = names.filter((n) => !file.classes.has(n));
  if (unknown.length > 0) {
    throw new UserFileError(
      unknown.map((n) => `unknown user class '${n}' (the file has: ${[...file.classes.keys()].join(', ')})`),
    );
  }
  return names.map((n) => file.classes.get(n)!);
}
