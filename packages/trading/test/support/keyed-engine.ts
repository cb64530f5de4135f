/**
 * The execution engine alone with keys (./auth-fixture.ts's store), for a describe whose tests
 * check that the key and its right come before a route's own answer: started before them and
 * closed after; `send` sends a request signed as `who`.
 */
import { after, before } from 'node:test';
import { authHeaders, type Identity, keyStore } from './auth-fixture.ts';
import { type Fixture, startFixture } from './trading-fixture.ts';

/** Call inside a describe: registers its before/after hooks. */
export function keyedEngine(): {
  send(who: Identity, method: string, path: string): ReturnType<Fixture['http']['send']>;
} {
  let f: Fixture | undefined;
  before(async () => {
    f = await startFixture({
      security: { keys: keyStore() },
      inputLog: false,
      services: ['execution-engine'],
    });
  });
  after(() => f?.close());
  return {
    send(who, method, path) {
      if (f === undefined) throw new Error('keyedEngine: send before the fixture started');
      return f.http.send(
        method,
        `${f.url('execution-engine')}${path}`,
        undefined,
        authHeaders(who, method, path),
      );
    },
  };
}
