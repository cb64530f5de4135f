/**
 * `tickstorm run db-throughput --mode library --db-path postgres://user:PASSWORD@...` against a
 * real PostgreSQL: the password is in neither the console's scenario line nor the JSON
 * report's params (both showed the URL as given).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type PgServer, startPgServer } from './support/postgres.ts';

const BIN = fileURLToPath(new URL('../../../bin/tickstorm.js', import.meta.url));
let pg: PgServer;
let dir: string;
before(async () => {
  pg = await startPgServer({ fsync: false });
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-dbt-secret-'));
});
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a PostgreSQL --db-path password is shown as *** on the console and in the report', async () => {
  // trust auth: the server ignores the password, so the run really writes
  const url = pg.url.replace('postgres://postgres@', 'postgres://postgres:s3cret-pw@');
  const json = join(dir, 'r.json');
  const args = [BIN, 'run', 'db-throughput', '--mode', 'library', '--db-path', url];
  const r = await promisify(execFile)(
    process.execPath,
    [...args, '--duration', '1', '--rate', '2000', '--json', json],
    { cwd: dir, env: { ...process.env, NO_COLOR: '1' } },
  ).catch((e: { stdout: string; stderr: string; code: number }) => e);
  const out = `${r.stdout}\n${r.stderr}`;
  const report = readFileSync(json, 'utf8');
  assert.match(out, /db-path=postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:/, out);
  assert.doesNotMatch(out, /s3cret-pw/);
  const params = (JSON.parse(report) as { scenarios: { params: Record<string, unknown> }[] }).scenarios[0]
    .params;
  assert.match(String(params.dbPath), /^postgres:\/\/postgres:\*\*\*@/);
  assert.ok(Number((JSON.parse(report) as { requests: number }).requests) > 0, 'the run wrote batches');
  assert.doesNotMatch(report, /s3cret-pw/);
});
