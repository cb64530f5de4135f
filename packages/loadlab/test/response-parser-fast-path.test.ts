/**
 * The parser's byte-identical-head fast path (a repeated head reuses its parse): every
 * response must still be framed exactly as a fresh parse would, whatever the split across
 * reads, when a head differs by one byte, for HEAD requests, chunked bodies and closes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestEvents, RequestStats, ResponseParser } from '@tickstorm/loadlab';

type Seen = [number, number, boolean];

/** Feeds `raw` in reads of `step` bytes, then a close; returns every response and the heads reused. */
function parseAll(raw: string, step: number): { out: Seen[]; reused: number } {
  const out: Seen[] = [];
  const p = new ResponseParser((s, b, c) => out.push([s, b, c]));
  const buf = Buffer.from(raw, 'latin1');
  for (let i = 0; i < buf.length; i += step)
    assert.ok(p.feed(buf, i, Math.min(buf.length, i + step)), p.failed ?? '');
  p.onClose();
  return { out, reused: p.headsReused };
}

const head = (date: string, length: number, connection = 'keep-alive') =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\nDate: ${date}\r\nConnection: ${connection}\r\nKeep-Alive: timeout=60\r\n\r\n`;
const D1 = 'Sat, 05 Dec 2026 03:00:00 GMT';
const D2 = 'Sat, 05 Dec 2026 03:00:01 GMT';

test('repeated heads: the same framing as a fresh parse, for every split across reads', () => {
  const raw =
    `${head(D1, 2)}ok${head(D1, 2)}ok` + // identical: the second reuses the first's parse
    `${head(D2, 2)}ok` + // the Date moved on: parsed again
    `${head(D2, 3)}abc${head(D2, 3)}xyz` + // one byte differs (the length): parsed again, then reused
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n' + // interim heads are never reused
    `${head(D2, 3)}def` +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhey\r\n0\r\n\r\n' + // reused head, chunked
    `${head(D2, 2, 'close')}ok`;
  const expected: Seen[] = [
    [200, 2, false],
    [200, 2, false],
    [200, 2, false],
    [200, 3, false],
    [200, 3, false],
    [200, 3, false],
    [200, 2, false],
    [200, 3, false],
    [200, 2, true],
  ];
  for (const step of [1, 2, 5, 13, 64, 150, 151, 152, raw.length])
    assert.deepEqual(parseAll(raw, step).out, expected, `step ${step}`);
  // in one read: responses 2, 5, 6 (after the interim heads) and the second chunked one
  assert.equal(parseAll(raw, raw.length).reused, 4);
  assert.equal(parseAll(raw, 1).reused, 0); // a head cut by the read is parsed the slow way
});

test('a reused head answers a HEAD request without a body, and the next GET reads its body', () => {
  const out: Seen[] = [];
  const p = new ResponseParser((s, b, c) => out.push([s, b, c]));
  const h = Buffer.from(head(D1, 2), 'latin1');
  const withBody = Buffer.concat([h, Buffer.from('ok')]);
  assert.ok(p.feed(withBody, 0, withBody.length));
  p.noBody = true; // HEAD: the same head, no body follows
  assert.ok(p.feed(h, 0, h.length));
  p.noBody = false;
  assert.ok(p.feed(withBody, 0, withBody.length));
  assert.equal(p.headsReused, 2);
  assert.deepEqual(out, [
    [200, 2, false],
    [200, 0, false],
    [200, 2, false],
  ]);
});

test('a head that starts like the last one but is cut by the read is buffered, not reused', () => {
  const out: Seen[] = [];
  const p = new ResponseParser((s, b, c) => out.push([s, b, c]));
  const first = Buffer.from(`${head(D1, 2)}ok`, 'latin1');
  assert.ok(p.feed(first, 0, first.length));
  const second = Buffer.from(`${head(D1, 2, 'close')}ok`, 'latin1');
  const cut = second.indexOf('Connection') + 12; // identical to the cached head up to here
  assert.ok(p.feed(second, 0, cut));
  assert.equal(out.length, 1);
  assert.ok(p.feed(second, cut, second.length));
  assert.deepEqual(out, [
    [200, 2, false],
    [200, 2, true],
  ]);
});

test('request stats: status counts by code survive record, snapshot and merge', () => {
  const events = new RequestEvents();
  const a = new RequestStats();
  a.attach(events);
  const ev = {
    type: 'GET',
    name: '/',
    latencyUs: 100,
    ok: true,
    status: 200,
    error: null,
    bytes: 2,
    timeUs: 0,
  };
  events.emit(ev);
  events.emit({ ...ev, name: '/other', status: 404, ok: false });
  events.emit(ev);
  events.emit({ ...ev, status: 0, ok: false, error: 'timeout' });
  const root = a.entries.find((e) => e.name === '/')!;
  assert.deepEqual(root.statusCounts(), { '200': 2, timeout: 1 });
  assert.equal(root.requests, 3);
  assert.deepEqual(a.entries.find((e) => e.name === '/other')!.statusCounts(), { '404': 1 });
  const b = new RequestStats();
  b.merge(a.snapshot());
  b.merge(a.snapshot());
  const merged = b.entries.find((e) => e.name === '/')!;
  assert.deepEqual(merged.statusCounts(), { '200': 4, timeout: 2 });
  assert.equal(merged.latency.count, 6);
  a.resetEntries();
  events.emit(ev);
  assert.deepEqual(a.entries[0].statusCounts(), { '200': 1 }); // a fresh entry, not the cached one
});
