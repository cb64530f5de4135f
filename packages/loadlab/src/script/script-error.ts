/**
 * What a user reads when a script does not load (exit 107): the error and where it is in
 * the script, not the lab's or Node's loader frames.
 *
 *   Error: boom                                    a throw at load time: the script's own frames
 *       at file:///tmp/load.js:2:7
 *   /tmp/load.js:3                                 a syntax error in a .js file: its line, as node
 *   export const options = {;                      shows it (the import gives no location)
 *                           ^
 *   SyntaxError: Unexpected token ';'
 *
 * (A .ts file goes through esbuild, whose syntax errors name the line already.) The same for
 * a syntax error that tsx's module lexer reports first (`Parse error FILE:1:1`, no place).
 * A .ts file's syntax error (esbuild's) and a missing module already name the place: their
 * message alone.
 *
 * An iteration's error (the run goes on, as in k6) is one line: its message and the script's
 * innermost frame, as k6 logs it (`Cannot read properties of undefined (reading 'bar') at
 * helper (/tmp/load.js:4:15)`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LAB_SRC = fileURLToPath(new URL('..', import.meta.url));
const NOT_USER = /\((?:node:|data:)|at (?:node:|data:)|\/node_modules\/|\bnode:internal\b/;

/** The text shown for an error thrown while importing `file`. */
export function scriptErrorText(e: unknown, file: string): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' || e.name === 'TransformError') return e.message;
  if (e instanceof SyntaxError && /\.m?js$/.test(file)) {
    const where = syntaxLocation(file);
    if (where !== undefined) return where;
  }
  // tsx's module lexer meets the syntax error first in some files (an unclosed brace) and
  // names no place (`Parse error /tmp/load.js:1:1`): ask node where it is, in that file
  const lexed = /^Parse error (.+\.m?js):\d+:\d+$/.exec(e.message);
  if (lexed !== null) {
    const where = syntaxLocation(lexed[1]);
    if (where !== undefined) return where;
  }
  return scriptStack(e);
}

/**
 * An error's message and the script's own frames: the lab's frames under the script's (a
 * built-in the script called threw: open() of a missing file, a response read before its
 * await) are left out, and those above them (the loader, the lifecycle runner, the CLI) end them.
 */
export function scriptStack(e: Error): string {
  const lines = (e.stack ?? '').split('\n');
  const head: string[] = [];
  let i = 0;
  while (i < lines.length && !/^\s+at /.test(lines[i])) head.push(lines[i++]);
  const frames: string[] = [];
  for (; i < lines.length; i++) {
    if (lines[i].includes(LAB_SRC)) {
      if (frames.length > 0) break;
      continue;
    }
    if (!NOT_USER.test(lines[i])) frames.push(lines[i]);
  }
  return [...(head.length > 0 ? head : [`${e.name}: ${e.message}`]), ...frames].join('\n');
}

/** Where a syntax error is in a JavaScript module, as node prints it (or undefined). */
function syntaxLocation(file: string): string | undefined {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const r = spawnSync(process.execPath, ['--input-type=module', '--check'], {
    input: source,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status === 0 || typeof r.stderr !== 'string') return undefined;
  const text = r.stderr.split('\n');
  const end = text.findIndex((l) => /^\w*Error: /.test(l));
  if (end < 0 || !text[0].startsWith('[stdin]:')) return undefined;
  return [text[0].replace('[stdin]', file), ...text.slice(1, end).filter((l) => l !== ''), text[end]].join(
    '\n',
  );
}

/** One line for an iteration's error: its message and where in the script it was thrown. */
export function iterationErrorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  for (const line of (e.stack ?? '').split('\n')) {
    const m = /^\s+at (.*)$/.exec(line);
    if (m === null || line.includes(LAB_SRC) || NOT_USER.test(line)) continue;
    return `${e.message} at ${m[1].replace(/file:\/\//g, '')}`;
  }
  return e.message;
}
