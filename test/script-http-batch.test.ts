/**
 * k6's http.batch (an array or an object of requests, answered in the same shape, each request
 * its own sample) and expected statuses: http.expectedStatuses() per request
 * (params.responseCallback), for the thread (http.setResponseCallback), and null (every
 * response expected), as http_req_failed and the expected_response tag count them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-http-batch-');

test('http.batch answers in the shape asked; expected statuses decide http_req_failed', async () => {
  // per iteration: a batch of 3 (one /fail), a named batch of 2, then /fail requests whose 500
  // is expected (per request, then for the VU), one with every status expected per request and
  // one after setResponseCallback(null)
  const f = t.script(
    'batch.js',
    `import http from 'k6/http';
import { check } from 'k6';
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 10 } },
  thresholds: {
    'http_reqs{expected_response:false}': ['count==10'],
    'http_reqs{expected_response:true}': ['count==80'],
  },
};
export default async function () {
  const list = await http.batch(['$URL/a', ['POST', '$URL/b', 'x'], { method: 'GET', url: '$URL/fail' }]);
  const named = await http.batch({ one: '$URL/c', two: ['GET', '$URL/d'] });
  check(null, {
    'array in order': () => list.length === 3 && list[0].status === 200 && list[2].status === 500,
    'object by name': () => named.one.status === 200 && named.two.url.endsWith('/d'),
  });
  await http.get('$URL/fail', { responseCallback: http.expectedStatuses(200, { min: 500, max: 503 }) });
  await http.get('$URL/fail', { responseCallback: null });
  http.setResponseCallback(http.expectedStatuses(500));
  await http.get('$URL/fail');
  // null for the VU: every response expected (not back to the 200-399 default)
  http.setResponseCallback(null);
  await http.get('$URL/fail');
  http.setResponseCallback(http.expectedStatuses({ min: 200, max: 399 }));
}
`,
  );
  const json = join(t.dir, 'batch.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.metrics.http_reqs.values.count, 90);
  // only the batch's /fail is unexpected: 10 of 90
  assert.equal(j.metrics.http_req_failed.values.passes, 10);
  assert.equal(j.metrics.checks.values.rate, 1);
  assert.equal(t.srv.paths.get('/d'), 10);
});

test("setResponseCallback at load time (k6's init context) is every VU's default", async () => {
  const f = t.script(
    'init-callback.js',
    `import http from 'k6/http';
http.setResponseCallback(http.expectedStatuses(500));
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 6 } } };
export default async function () { await http.get('$URL/ok'); await http.get('$URL/fail'); }
`,
  );
  const json = join(t.dir, 'init-callback.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  // the 200s are the unexpected ones now
  assert.equal(j.metrics.http_reqs.values.count, 12);
  assert.equal(j.metrics.http_req_failed.values.passes, 6);
});

test('a bad batch entry, expectedStatuses argument or URL is an iteration error naming it', async () => {
  const f = t.script(
    'bad.js',
    `import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 3 } } };
export default async function (ctx) {
  if (ctx.iteration === 0) await http.batch([42]);
  else if (ctx.iteration === 1) http.expectedStatuses('200');
  else await http.post('/orders', 'x');
}
`,
  );
  const r = await run(['run', f]);
  const all = r.stdout + r.stderr;
  assert.match(all, /http\.batch\(\): request 0 is not a URL/);
  assert.match(all, /http\.expectedStatuses\(\): argument 1 is neither an integer status nor \{ min, max \}/);
  // Node's own message said only 'Invalid URL'
  assert.match(all, /http POST '\/orders': not an absolute http:\/\/ or https:\/\/ URL/);
});

test("k6's http.url (URL grouping), http.options and http.asyncRequest", async () => {
  // before, each was an iteration error ('http.url is not a function'), and a threshold on a
  // template name (`${}` holds a brace) was refused as 'not a metric name'
  const f = t.script(
    'api.js',
    `import http from 'k6/http';
export const options = {
  vus: 1,
  iterations: 3,
  thresholds: { 'http_reqs{name:$URL/items/\${}}': ['count==3'], 'http_reqs{method:OPTIONS}': ['count==3'] },
};
export default async function () {
  await http.get(http.url\`$URL/items/\${__ITER}\`);
  await http.options('$URL/opt');
  await http.batch([http.url\`$URL/batched/\${__ITER}\`]);
  await http.asyncRequest('GET', '$URL/async');
}
`,
  );
  const json = join(t.dir, 'api.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.doesNotMatch(r.stdout + r.stderr, /iteration error/);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  const names = Object.fromEntries(
    (j.scenarios[0].entries as { name: string; method?: string; requests: number }[]).map((e) => [
      e.name,
      e.requests,
    ]),
  );
  assert.equal(names[`${t.srv.url.replace(/\/$/, '')}/items/\${}`], 3, JSON.stringify(names));
  assert.equal(names[`${t.srv.url.replace(/\/$/, '')}/batched/\${}`], 3);
  assert.equal(names['/opt'], 3);
  assert.equal(names['/async'], 3);
  for (const p of ['/items/0', '/items/1', '/items/2', '/opt', '/async']) assert.ok(t.srv.paths.get(p), p);
  assert.ok(
    j.thresholds.every((x: { ok: boolean }) => x.ok),
    JSON.stringify(j.thresholds),
  );
});
