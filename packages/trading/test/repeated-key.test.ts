/** repeatedTopLevelKey: a request body naming one field twice is found; nothing else is. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repeatedTopLevelKey } from '../src/http/repeated-key.ts';

describe('repeatedTopLevelKey', () => {
  it('names the first top-level field given twice, escaped names decoded', () => {
    assert.equal(repeatedTopLevelKey('{"a":1,"b":2,"a":3}'), 'a');
    assert.equal(repeatedTopLevelKey(' \n{"price":1, "price" : 2}'), 'price');
    assert.equal(repeatedTopLevelKey('{"a":1,"\\u0061":2}'), 'a');
    assert.equal(repeatedTopLevelKey('{"x\\"y":1,"x\\"y":2}'), 'x"y');
    // With the parsed object's key count: only a count above it is looked at by name.
    assert.equal(repeatedTopLevelKey('{"a":1,"b":2,"a":3}', 2), 'a');
    assert.equal(repeatedTopLevelKey('{"a":1,"b":{"a":2,"a":3}}', 2), undefined);
  });

  it('ignores nested objects, strings that look like members, arrays and scalars', () => {
    assert.equal(repeatedTopLevelKey('{"a":{"b":1,"b":2},"c":[{"a":1},{"a":2}]}'), undefined);
    assert.equal(repeatedTopLevelKey('{"a":"\\",\\"a\\":1,{","b":"a"}'), undefined);
    assert.equal(repeatedTopLevelKey('{"a":[1,{"z":0}],"b":{"a":{}},"c":"}{,"}'), undefined);
    assert.equal(repeatedTopLevelKey('[{"a":1,"a":2}]'), undefined);
    assert.equal(repeatedTopLevelKey('"a"'), undefined);
    assert.equal(repeatedTopLevelKey('{}'), undefined);
  });
});
