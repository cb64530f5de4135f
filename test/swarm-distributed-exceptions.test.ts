/**
 * Exceptions raised by user code on workers, as the master reports them: counts added up over
 * the workers, and Locust's Nodes column (PREFIX_exceptions.csv, GET /exceptions) naming the
 * workers that raised each one, not "local". Master and workers are separate OS processes;
 * the master's port comes from the OS (--master-bind-port 0).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { splitCsvLines } from '@tickstorm/loadlab';
import { trackedTickstorm } from './support/child.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-raising-users.ts', import.meta.url),
);
/** Each Raiser throws exactly this many times (the fixture's RAISES). */
const RAISES = 5;

let dir: string;
const { start, stopAll } = trackedTickstorm();
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-swarm-exc-'));
});
afterEach(stopAll);
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tickstorm swarm --master: exceptions raised on workers', () => {
  test('counts add up over the workers; Nodes names the workers that raised them', async () => {
    const prefix = join(dir, 'm');
    const json = join(dir, 'm.json');
    const m = start([
      'swarm',
      '-f',
      USERS,
      '--master',
      '--headless',
      '--only-summary',
      '--master-bind-port',
      '0',
      '--expect-workers',
      '2',
      '-u',
      '2',
      '-r',
      '100',
      '-t',
      '2s',
      '-H',
      'http://127.0.0.1:9',
      '--csv',
      prefix,
      '--json',
      json,
    ]);
    const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
    const workers = [1, 2].map(() => start(['swarm', '-f', USERS, '--worker', '--master-port', port]));
    const [mx, ...wx] = await Promise.all([m.exited, ...workers.map((w) => w.exited)]);
    assert.equal(mx.code, 1, m.stdout() + m.stderr()); // Locust's rule: exceptions fail the test
    for (const x of wx) assert.equal(x.code, 0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const joined = [...(report.workers.joined as string[])].sort();
    assert.equal(joined.length, 2);
    const rows = report.scenarios[0].extra.exceptions as { count: number; nodes: string[] }[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0].count, 2 * RAISES);
    assert.deepEqual([...rows[0].nodes].sort(), joined);
    // one record (the traceback's own lines end with \n, records with \r\n); Nodes is quoted: it holds a comma
    const csv = splitCsvLines(readFileSync(`${prefix}_exceptions.csv`, 'utf8'));
    assert.equal(csv.length, 2);
    assert.equal(csv[0], 'Count,Message,Traceback,Nodes');
    assert.ok(
      csv[1].startsWith(`${2 * RAISES},Error: raised on purpose,"Error: raised on purpose\n`),
      csv[1],
    );
    const nodes = /,"([^"]*)"$/.exec(csv[1])?.[1];
    assert.deepEqual(nodes?.split(', ').sort(), joined, csv[1]);
  });
});
