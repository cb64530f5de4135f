/**
 * deploy/systemd as docs/deployment.md installs it: nats-server.service listens where
 * tickstorm.env's TICKSTORM_BUS points, and on loopback only (the bus is a trust boundary:
 * anything that can publish on it can place orders for any account). The unit bound
 * 0.0.0.0 while every Tickstorm unit used 127.0.0.1, exposing the bus to the network.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../deploy/systemd/', import.meta.url));
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');

test('nats-server.service binds the address of TICKSTORM_BUS, loopback, on its port', () => {
  const exec = /^ExecStart=(.*)$/m.exec(read('nats-server.service'));
  assert.ok(exec !== null, 'an ExecStart line');
  const args = exec[1].trim().split(/\s+/);
  const arg = (flag: string) => {
    const i = args.indexOf(flag);
    assert.ok(i > 0 && i + 1 < args.length, `${flag} in ${exec[1]}`);
    return args[i + 1];
  };
  const bus = /^TICKSTORM_BUS=(.*)$/m.exec(read('tickstorm.env'));
  assert.ok(bus !== null, 'TICKSTORM_BUS in tickstorm.env');
  const url = new URL(bus[1].trim());
  assert.equal(arg('-a'), url.hostname);
  assert.equal(arg('-p'), url.port);
  assert.equal(arg('-a'), '127.0.0.1', 'the bus listens on loopback only');
});
