/**
 * exact-numbers: a number literal JSON.parse reads as another number (more digits than a
 * double holds) is found in an object body's top-level members, from the body text, and
 * nothing else is: `100.1`, `100.10000000000000000000`, `1.001e2`, 17-digit shortest forms
 * (`0.30000000000000004`) and printf's `%.17g` of 100.1 (`100.09999999999999`) survive;
 * `100.000000000000000001` and `1.0000000000000003` (never a double's digits) do not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inexactMembersOf, survives } from '../src/http/exact-numbers.ts';
import { parseJsonRequest } from '../src/http/json-body.ts';

const members = (text: string) => {
  const v = parseJsonRequest(text) as object;
  const m = inexactMembersOf(v);
  return m === undefined ? {} : Object.fromEntries(m);
};

describe('survives', () => {
  it('a literal that is the double read, to the digits it gives', () => {
    for (const s of [
      '100.1',
      '100.10000000000000000000',
      '1.001e2',
      '1001E-1',
      '0.30000000000000004',
      '100.09999999999999',
      '1.0000000000000002',
      '9007199254740991',
      '-100.25',
      '0.000000000000000001',
      '-0.0000000000000000000',
      '1e400',
    ]) {
      assert.equal(survives(s), true, s);
    }
  });

  it('a literal with more digits than a double holds', () => {
    for (const s of [
      '100.000000000000000001',
      '1.0000000000000003',
      '1.0000000000000000001',
      '9007199254740993',
      '123456789012345678901',
      '1.00000000000000000000000000000000000000000001e2',
      `0.${'0'.repeat(400)}1`,
    ]) {
      assert.equal(survives(s), false, s);
    }
  });
});

describe('inexact members of an object body', () => {
  it('names the top-level members whose literal does not survive, as sent', () => {
    assert.deepEqual(members('{"symbol":"AAPL","quantity":1,"price":100.000000000000000001}'), {
      price: '100.000000000000000001',
    });
    assert.deepEqual(members('{ "price" : 1.0000000000000000001 , "quantity":2.00000000000000000001}'), {
      price: '1.0000000000000000001',
      quantity: '2.00000000000000000001',
    });
    // an escaped name decoded
    assert.deepEqual(members('{"\\u0070rice":100.000000000000000001}'), { price: '100.000000000000000001' });
  });

  it('nothing for exact literals, strings, nested members, array elements', () => {
    assert.deepEqual(members('{"price":100.1,"quantity":10}'), {});
    assert.deepEqual(members('{"price":100.10000000000000000000,"quantity":1.001e2}'), {});
    assert.deepEqual(members('{"clientOrderId":"100.000000000000000001","price":1}'), {});
    assert.deepEqual(members('{"a":{"price":100.000000000000000001},"b":[100.000000000000000001]}'), {});
    assert.deepEqual(members('{"a":true,"price":1.5,"b":null,"c":"x:1.0000000000000000001"}'), {});
  });
});
