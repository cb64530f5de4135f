/**
 * The hostile query clients of security.bench.ts, in their own process: an attacker's
 * answers (up to 8 MiB each) are read and dropped here, never on the event loop that times
 * the orders, as the attacker of a real system runs elsewhere.
 *
 *   node --import tsx hostile-queries.ts API_URL [all|large]
 *
 * prints `{"ready":true}`, then reads commands on stdin, one per line:
 *   {"count":N,"clients":C,"pauseMs":P}   C clients send N queries in all (null: until "stop")
 *   "stop"                                the clients running stop after their current query
 * and prints `{"answers":{status:n},"errors":n}` when a batch ends. It exits when stdin ends.
 * Queries cycle through HOSTILE (`large`: only its first, `SELECT * FROM range(30000000)`,
 * answered 10,000 rows); a client pauses P ms after a 429 before its next query.
 */
import { createInterface } from 'node:readline';
import { Pool } from 'undici';

const HOSTILE = [
  'SELECT * FROM range(30000000)',
  "SELECT repeat('x', 100000) AS s FROM range(100000)",
  'SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = -1',
  'SELECT * FROM range(100000000) ORDER BY random()',
  "SELECT * FROM read_csv('/etc/passwd')",
  "ATTACH '/tmp/tickstorm-hostile.duckdb' AS h",
  "COPY (SELECT 1) TO '/tmp/tickstorm-hostile.csv'",
  'INSTALL httpfs',
  'SELECT 1; SELECT 2',
  "SET memory_limit = '64GB'",
  'SELECT list(range) FROM range(50000000)',
  "SELECT string_agg(repeat('y', 1000), ',') FROM range(10000000)",
];

interface Batch {
  count: number | null;
  clients: number;
  pauseMs: number;
}

const api = process.argv[2];
/** `large`: only the query whose answer is the largest that is not refused (10,000 rows). */
const queries = process.argv[3] === 'large' ? [HOSTILE[0]] : HOSTILE;
const pool = new Pool(api, { connections: 8 });
let next = 0;
let going = false;

async function batch(b: Batch): Promise<void> {
  const answers: Record<string, number> = {};
  let errors = 0;
  let sent = 0;
  going = true;
  const more = () => going && (b.count === null || sent < b.count);
  const client = async () => {
    while (more()) {
      sent++;
      const sql = queries[next++ % queries.length];
      try {
        const r = await pool.request({
          method: 'GET',
          path: `/api/metrics/query?sql=${encodeURIComponent(sql)}`,
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        await r.body.dump();
        answers[r.statusCode] = (answers[r.statusCode] ?? 0) + 1;
        if (r.statusCode === 429 && b.pauseMs > 0) await new Promise((res) => setTimeout(res, b.pauseMs));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: b.clients }, client));
  process.stdout.write(`${JSON.stringify({ answers, errors })}\n`);
}

let running: Promise<void> = Promise.resolve();
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const cmd = JSON.parse(line) as Batch | 'stop';
    if (cmd === 'stop') going = false;
    else running = running.then(() => batch(cmd));
  })
  .on('close', () => {
    going = false;
    void running.then(() => pool.close());
  });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
