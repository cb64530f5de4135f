/** repeatedKey: a request body naming one field twice is found; nothing else is. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repeatedKey, repeatedKeyIn } from '../src/http/repeated-key.ts';

describe('repeatedKey', () => {
  it('names the first top-level field given twice, escaped names decoded', () => {
    assert.equal(repeatedKey('{"a":1,"b":2,"a":3}'), 'a');
    assert.equal(repeatedKey(' \n{"price":1, "price" : 2}'), 'price');
    assert.equal(repeatedKey('{"a":1,"\\u0061":2}'), 'a');
    assert.equal(repeatedKey('{"x\\"y":1,"x\\"y":2}'), 'x"y');
    // any shape: a keys file is an array of objects
    assert.equal(repeatedKey('[{"id":"k","role":"viewer","role":"admin"}]'), 'role');
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
    assert.equal(repeatedKey('"a"'), undefined);
    assert.equal(repeatedKey('{}'), undefined);
  });

  it('repeatedKeyIn: every object of an array body (a metrics batch), deep nesting without recursion', () => {
    const at = (t: string) => repeatedKeyIn(t, JSON.parse(t));
    assert.equal(at('[{"name":"x","value":1,"value":2}]'), 'value');
    assert.equal(at('[{"name":"x"},{"name":"y","labels":{"a":"1","\\u0061":"2"}}]'), 'labels.a');
    assert.equal(at('[{"name":"x","value":1},{"name":"x","value":1}]'), undefined);
    assert.equal(at('[{"a":"\\",\\"a\\":1"},[],{},"a",1]'), undefined);
    assert.equal(at('{"a":1,"b":[{"c":1,"c":2}]}'), 'b.c');
    const deep = `${'['.repeat(200_000)}{"a":1,"a":2}${']'.repeat(200_000)}`;
    assert.equal(at(deep), 'a');
    assert.equal(at(`${'['.repeat(200_000)}${']'.repeat(200_000)}`), undefined);
  });
});
