/**
 * A command loads its own modules only: `tickstorm serve` none of the load lab's (Vega, undici)
 * nor the strategy agent's trading-signals or the nats client before they are used, `run FILE`
 * none of the trading system's, `--version` no package's at all. Each of these is hundreds of
 * modules and a fraction of a second of CPU at every start (docs/dependencies.md, "Loaded when used").
 * What a process loads is read by a module hook (support/record-imports.mjs).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tickstorm } from './support/cli.ts';
import { startServeChild } from './support/serve.ts';

const HOOK = fileURLToPath(new URL('./support/record-imports.mjs', import.meta.url));

describe('each command loads only what it uses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-lazy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const recorder = () => {
    const file = join(dir, `imports-${n++}.txt`);
    writeFileSync(file, '');
    const env = { NODE_OPTIONS: `--import=${HOOK}`, TICKSTORM_RECORD_IMPORTS: file };
    return {
      env,
      loaded: () =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== ''),
    };
  };
  /** Every loaded URL matching `re` (each once): none is expected. */
  const noneLoaded = (urls: string[], re: RegExp) =>
    assert.deepEqual([...new Set(urls.filter((u) => re.test(u)))], []);

  test('serve (all four services) is ready without the load lab, Vega, trading-signals or nats', {
    timeout: 60_000,
  }, async () => {
    const r = recorder();
    const served = await startServeChild(['--data-dir', join(dir, 'data')], {
      env: { ...process.env, ...r.env },
    });
    try {
      const loaded = r.loaded();
      // the hook sees the system's own modules (so an empty list cannot pass)
      assert.ok(
        loaded.some((u) => u.includes('/packages/trading/src/system/')),
        loaded.slice(0, 20).join('\n'),
      );
      noneLoaded(
        loaded,
        /\/packages\/loadlab\/src\/(?!gates\/exit-codes)|\/node_modules\/(vega|vega-lite|undici|trading-signals|nats|@resvg)\//,
      );
    } finally {
      await served.stop();
    }
  });

  test('run FILE loads none of the trading system', { timeout: 60_000 }, async () => {
    const r = recorder();
    const script = join(dir, 'one.js');
    writeFileSync(script, 'export const options = { iterations: 1 };\nexport default function () {}\n');
    const res = await tickstorm(['run', script, '-q'], r.env);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const loaded = r.loaded();
    assert.ok(
      loaded.some((u) => u.includes('/packages/loadlab/src/script/')),
      loaded.slice(0, 20).join('\n'),
    );
    noneLoaded(
      loaded,
      /\/packages\/trading\/src\/|\/node_modules\/(@duckdb|fastify|trading-signals|nats|vega)\//,
    );
  });

  test('--version loads no package but the exit codes and the protocol', { timeout: 60_000 }, async () => {
    const r = recorder();
    const res = await tickstorm(['--version'], r.env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^\d+\.\d+\.\d+/);
    const loaded = r.loaded();
    assert.ok(
      loaded.some((u) => u.includes('/src/cli/main.ts')),
      loaded.join('\n'),
    );
    noneLoaded(
      loaded,
      /\/packages\/(trading|scenarios)\/|\/packages\/loadlab\/src\/(?!gates\/exit-codes)|\/node_modules\/(?!tsx|commander|esbuild|get-tsconfig|resolve-pkg-maps)/,
    );
  });
});
