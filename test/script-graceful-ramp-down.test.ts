/**
 * k6's gracefulRampDown (ramping-vus): a VU ramped down finishes its iteration, but one still
 * running when gracefulRampDown runs out is interrupted (its request cut and not counted), and
 * the VU is free again for a later ramp up, its __ITER going on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm } from './support/cli.ts';

let dir: string;
let url: string;
const held: ServerResponse[] = [];
/** What the server saw, in order, with its time (ms, performance.now()). */
const seen: { what: string; at: number }[] = [];
// /hold is never answered (its connection's close is noted); anything else at once
const server = createServer((req, res) => {
  seen.push({ what: `${req.url}`, at: performance.now() });
  if (req.url === '/hold') {
    held.push(res);
    req.socket.once('close', () => seen.push({ what: 'hold closed', at: performance.now() }));
  } else res.end('ok');
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-ramp-down-'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('gracefulRampDown 500ms: a ramped-down VU still in its iteration is interrupted, then reused', async () => {
  const f = join(dir, 'ramp.js');
  // VU 2 leaves at 1 s (2 -> 1 over 1 s) in an iteration that never ends; it is cut at 1.5 s
  // and joins again at 2.1 s. Without the cut it would hold its iteration to the stages' end
  // and gracefulStop (30 s), and never come back.
  writeFileSync(
    f,
    `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: {
    r: {
      executor: 'ramping-vus', startVUs: 2, gracefulRampDown: '500ms',
      stages: [
        { duration: '1s', target: 1 },
        { duration: '1s', target: 1 },
        { duration: '100ms', target: 2 },
        { duration: '1s', target: 2 },
      ],
    },
  },
};
export default async function () {
  if (__VU === 2 && __ITER === 0) {
    await http.get('${url}/hold');
    await http.get('${url}/after-hold'); // never reached: the iteration was abandoned
  }
  if (__VU === 2) await http.get('${url}/again/' + __ITER);
  await sleep(0.2);
}
`,
  );
  const json = join(dir, 'ramp.json');
  const r = await tickstorm(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const at = (what: string) => seen.find((s) => s.what === what)?.at;
  const hold = at('/hold');
  const closed = at('hold closed');
  const again = seen.find((s) => s.what.startsWith('/again/'));
  assert.ok(hold !== undefined && closed !== undefined, JSON.stringify(seen));
  assert.ok(closed - hold >= 1300, `cut ${Math.round(closed - hold)} ms after it was sent, not before 1.5 s`);
  assert.ok(again !== undefined, 'VU 2 ran again after the ramp up');
  assert.ok(closed < again.at, 'the held request was cut before VU 2 came back');
  assert.equal(again.what, '/again/1', '__ITER goes on after the interrupted iteration');
  assert.equal(at('/after-hold'), undefined);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  const agains = seen.filter((s) => s.what.startsWith('/again/')).length;
  assert.equal(j.metrics.http_reqs.values.count, agains, 'the cut request is not a sample');
  assert.equal(j.scenarios[0].extra.interruptedIterations, 1);
  // as k6 ends its run: 'N complete and 1 interrupted iterations'
  assert.match(r.stdout, /Iterations: \d+ complete and 1 interrupted/);
});

test('vus counts a ramped-down VU still in its iteration, as k6 does, until gracefulRampDown cuts it', async () => {
  // VU 2 leaves at 0.5 s in an iteration that never ends, cut at 2.7 s: the seconds 1 and 2 have
  // 2 VUs active (before, 1: the target alone), the second 3 has 1
  const f = join(dir, 'vus.js');
  writeFileSync(
    f,
    `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: {
    r: {
      executor: 'ramping-vus', startVUs: 2, gracefulRampDown: '2200ms',
      stages: [{ duration: '500ms', target: 1 }, { duration: '3500ms', target: 1 }],
    },
  },
};
export default async function () {
  if (__VU === 2) { await http.get('${url}/hold'); return; }
  await sleep(0.1);
}
`,
  );
  const out = join(dir, 'vus.jsonl');
  const r = await tickstorm(['run', f, '--out', `json=${out}`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const vus = readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"metric":"vus"') && l.includes('"Point"'))
    .map((l) => JSON.parse(l).data.value);
  assert.deepEqual(vus.slice(0, 4), [2, 2, 2, 1], JSON.stringify(vus));
});
