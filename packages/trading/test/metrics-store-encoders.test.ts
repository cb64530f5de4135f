/**
 * The encoders' shared parts without a server: the labels JSON cache (equal label objects
 * reuse the text; a changed object is seen) and the PostgreSQL COPY payload (one buffer per
 * batch; several batches joined into one COPY with one header and one trailer).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TradingErrorCode } from '../src/errors.ts';
import { LabelsJsonCache } from '../src/metrics-store/labels-json.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import { copyPayload, PgCopyEncoder } from '../src/metrics-store/pg-copy-encoder.ts';

const HEADER = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1');

describe('LabelsJsonCache', () => {
  test('equal objects give the same text; changed values, keys, order and mutation are seen', () => {
    const c = new LabelsJsonCache();
    const a = { symbol: 'SYM0', side: 'buy' };
    assert.equal(c.json(a, 0), '{"symbol":"SYM0","side":"buy"}');
    assert.equal(c.json({ ...a }, 1), '{"symbol":"SYM0","side":"buy"}');
    assert.equal(c.json({ side: 'buy', symbol: 'SYM0' }, 2), '{"side":"buy","symbol":"SYM0"}');
    assert.equal(c.json({ side: 'buy' }, 3), '{"side":"buy"}');
    assert.equal(c.json({ side: 'buy', x: '1' }, 4), '{"side":"buy","x":"1"}');
    const m: Record<string, string> = { k: 'v1' };
    assert.equal(c.json(m, 5), '{"k":"v1"}');
    m.k = 'v2';
    assert.equal(c.json(m, 6), '{"k":"v2"}', 'a labels object mutated between rows');
    assert.equal(c.json(undefined, 7), '{}');
    assert.equal(c.json({}, 8), '{}');
    const odd = { n: 1 } as unknown as Record<string, string>;
    assert.equal(c.json(odd, 9), '{"n":1}');
    (odd as unknown as { n: number }).n = 2;
    assert.equal(c.json(odd, 10), '{"n":2}', 'non-string values are serialised every time');
  });

  test('labels that are not a JSON object are a coded error naming the row', () => {
    const c = new LabelsJsonCache();
    assert.throws(() => c.json([] as unknown as Record<string, string>, 3), {
      code: TradingErrorCode.INVALID_METRICS,
      field: '[3].labels',
    });
  });
});

describe('PgCopyEncoder / copyPayload', () => {
  const enc = new PgCopyEncoder();
  const rows = (n: number, b: number) =>
    Array.from({ length: n }, (_, i) => MetricRecord.create(`m${i % 3}`, i, { batch: String(b) }, 1e12 + i));

  test('a batch is one whole COPY payload: header, rows, trailer', () => {
    const one = enc.encodeRecords(rows(5, 0));
    assert.equal(one.rows, 5);
    assert.deepEqual(one.data.subarray(0, HEADER.length), HEADER);
    assert.equal(one.data.readInt16BE(HEADER.length), 4, 'first row: 4 fields');
    assert.equal(one.data.readInt16BE(one.data.length - 2), -1, 'trailer');
    assert.deepEqual(copyPayload([one]), [one.data]);
  });

  test('several batches join into one payload with one header and one trailer, as views', () => {
    const a = enc.encodeRecords(rows(2, 1));
    const b = enc.encodeRecords(rows(3, 2));
    const c = enc.encodeRecords(rows(1, 3));
    const parts = copyPayload([a, b, c]);
    assert.equal(parts[1].buffer, b.data.buffer, 'no copy');
    const joined = Buffer.concat(parts);
    const body = (x: Buffer) => x.subarray(HEADER.length, x.length - 2);
    assert.deepEqual(
      joined,
      Buffer.concat([HEADER, body(a.data), body(b.data), body(c.data), Buffer.from([0xff, 0xff])]),
    );
  });
});
