/**
 * Structured logs: JSON lines with a level name, time, pid and fields; levels filter; the
 * terminal format is one readable line; `tickstorm serve` logs one line at start and one
 * per stop step on stderr (stdout keeps the URL lines), and --log-level filters them.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { createLogger, formatLogLine } from '../src/log/logger.ts';
import { serveSandbox, ZERO_PORT_FLAGS } from './support/child-process.ts';

function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  return { stream, lines };
}

describe('logger', () => {
  test('JSON lines with level names, fields and the level filter', () => {
    const s = sink();
    const log = createLogger({ level: 'warn', stream: s.stream, pretty: false, base: { service: 'api' } });
    log.info('not shown');
    log.warn({ port: 8000 }, 'slow');
    log.error({ err: new Error('boom') }, 'failed');
    assert.equal(s.lines.length, 2);
    const [w, e] = s.lines.map((l) => JSON.parse(l));
    assert.deepEqual([w.level, w.msg, w.port, w.service, w.pid], ['warn', 'slow', 8000, 'api', process.pid]);
    assert.equal(typeof w.time, 'number');
    assert.equal(e.level, 'error');
    assert.match(e.err.stack, /boom/);
  });

  test('the terminal format is one readable line', () => {
    const line = formatLogLine(
      JSON.stringify({ level: 'info', time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), pid: 1, msg: 'started', n: 2 }),
    );
    assert.equal(line, '03:04:05.006 INFO  started n=2\n');
    const s = sink();
    createLogger({ stream: s.stream, pretty: true }).info({ a: 'b' }, 'hello');
    assert.match(s.lines[0], /^\d\d:\d\d:\d\d\.\d{3} INFO {2}hello .*a=b$/);
  });
});

describe('tickstorm serve logs', () => {
  const box = serveSandbox('tickstorm-log-');
  after(() => box.cleanup());

  for (const [level, expect] of [
    ['info', ['started', 'stopping', 'stopped']],
    ['warn', []],
  ] as const) {
    test(`--log-level ${level}`, { timeout: 60_000 }, async () => {
      const s = await box.serve(['--data-dir', box.tmp(), ...ZERO_PORT_FLAGS, '--log-level', level]);
      s.child.kill('SIGTERM');
      const f = await s.done;
      assert.equal(f.code, 0, f.stderr);
      assert.match(f.stdout, /^api\s+http:\/\//m, 'the URL lines stay on stdout');
      const logs = f.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        logs.map((l) => l.msg),
        [...expect],
      );
      if (level === 'info') assert.equal(Object.keys(logs[0].urls).length, 4);
    });
  }
});
