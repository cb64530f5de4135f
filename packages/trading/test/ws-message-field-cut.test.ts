/**
 * /ws/metrics: the error frame of a message with an unknown field names that field in `field`
 * (f4b247c) cut to 64 characters, as every refusal cuts a name (PUT /limits, POST /api/metrics):
 * a message of one 60,000-character field name was answered with all of it echoed back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClientMessage } from '../src/api/ws-hub/ws-messages.ts';

test('an unknown field name is cut in the error frame', () => {
  const name = 'x'.repeat(60_000);
  const cmd = parseClientMessage(JSON.stringify({ action: 'subscribe', symbol: 'SYM0', [name]: 1 }));
  assert.equal(cmd.kind, 'error');
  assert.equal(cmd.kind === 'error' ? cmd.field : undefined, `${'x'.repeat(61)}...`);
  assert.ok(cmd.kind === 'error' && cmd.message.length < 200, 'the message cuts it too');
});
