/** repeatedKey: a request body naming one field twice is found; nothing else is. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repeatedKey } from '../src/http/repeated-key.ts';

describe('repeatedKey', () => {
  it('names the first top-level field given twice, escaped names decoded', () => {
    assert.equal(repeatedKey('{"a":1,"b":2,"a":3}'), 'a');
    assert.equal(repeatedKey(' \n{"price":1, "price" : 2}'), 'price');
    assert.equal(repeatedKey('{"a":1,"\\u0061":2}'), 'a');
    assert.equal(repeatedKey('{"x\\"y":1,"x\\"y":2}'), 'x"y');
    // With the parsed object's key count: only a count above it is looked at by name.
    assert.equal(repeatedKey('{"a":1,"b":2,"a":3}', 2), 'a');
    assert.equal(repeatedKey('{"a":1,"b":{"a":2}}', 2), undefined);
  });

  it('names a name given twice in a nested object by its path (PUT /limits perSymbol)', () => {
    const limits = '{"perSymbol":{"AAPL":{"maxOrderQty":10,"maxOrderQty":1000}}}';
    assert.equal(repeatedKey(limits, 1), 'perSymbol.AAPL.maxOrderQty');
    assert.equal(repeatedKey('{"a":1,"b":{"a":2,"a":3}}', 2), 'b.a');
    assert.equal(repeatedKey('{"a":{"b":1,"b":2}}', 1), 'a.b');
    assert.equal(repeatedKey('{"c":[{"a":1},{"a":2,"a":3}]}', 1), 'c.a');
    assert.equal(repeatedKey('{"perSymbol":{"AAPL":{"x":1},"AAPL":{"x":2}}}', 1), 'perSymbol.AAPL');
  });

  it('ignores names repeated in sibling objects, strings that look like members, arrays and scalars', () => {
    assert.equal(repeatedKey('{"a":{"b":1,"c":2},"c":[{"a":1},{"a":2}]}'), undefined);
    assert.equal(repeatedKey('{"a":{"x":1},"b":{"x":{"x":2}}}', 2), undefined);
    assert.equal(repeatedKey('{"a":"\\",\\"a\\":1,{","b":"a"}'), undefined);
    assert.equal(repeatedKey('{"a":[1,{"z":0}],"b":{"a":{}},"c":"}{,"}'), undefined);
    assert.equal(repeatedKey('[{"a":1,"a":2}]'), undefined);
    assert.equal(repeatedKey('"a"'), undefined);
    assert.equal(repeatedKey('{}'), undefined);
  });
});
