/** k6's res.json(selector): the plain GJSON paths read, the rest refused by name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectJson } from '../src/script/json-selector.ts';

const doc = { items: [{ id: 7, name: 'a' }, { id: 8 }], 'a.b': 1, nested: { deep: { ok: true } }, nil: null };

test('keys, indexes, # and escaped dots', () => {
  assert.equal(selectJson(doc, 'items.1.id'), 8);
  assert.equal(selectJson(doc, 'items.#'), 2);
  assert.equal(selectJson(doc, 'nested.deep.ok'), true);
  assert.equal(selectJson(doc, 'a\\.b'), 1);
  assert.equal(selectJson(doc, 'nil'), null);
  assert.deepEqual(selectJson(doc, 'items.0'), { id: 7, name: 'a' });
  for (const nowhere of ['items.5.id', 'missing', 'items.x', 'nil.x', 'nested.deep.ok.more'])
    assert.equal(selectJson(doc, nowhere), undefined, nowhere);
});

test("GJSON's wildcards, queries, modifiers and pipes are refused, naming the selector", () => {
  for (const sel of ['items.#.id', 'item*', 'items.#(id==8).name', '@reverse', 'items|0'])
    assert.throws(
      () => selectJson(doc, sel),
      new RegExp(`res\\.json\\('${sel.replace(/[.*?()|]/g, '\\$&')}'\\)`),
      sel,
    );
});
