/**
 * The Kubernetes example of deploy/k8s/loadlab/ as far as one machine can run it: the
 * ConfigMap made as the README says (every file the user file imports), mounted where the
 * manifests mount it, the master's and a worker's args from master.yaml and workers.yaml
 * (addresses, ports, size and duration swapped for local ones), and the hosts they aim at
 * are Services of deploy/k8s/trading/tickstorm.yaml. The stand-in target answers the HTTP
 * requests and takes the feed user's ticks on /stream (a WebSocket, as market data's), so the
 * run has no failed request and no exception: the master exits 0 (Locust's exit code on error is 1).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { WebSocketServer } from 'ws';
import { trackedTickstorm } from './support/child.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

/** The scalars of the first `key:` list in a manifest (`- a`, `- "b"`, comments dropped). */
function yamlList(text: string, key: string): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === `${key}:`);
  assert.ok(at >= 0, `no ${key}: list`);
  const indent = lines[at].search(/\S/);
  const items: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === '') continue;
    if (l.search(/\S/) <= indent && !l.trim().startsWith('- ')) break;
    const m = /^\s*- (.*)$/.exec(l);
    if (m === null) break;
    items.push(m[1].replace(/\s+#.*$/, '').replace(/^"(.*)"$/, '$1'));
  }
  return items;
}

/** `{ name: X, mountPath: P }` of the users volume. */
const usersMount = (text: string) => /\{ name: users, mountPath: ([^ }]+) \}/.exec(text)?.[1];

/** Service name -> port in the trading system's manifest. */
function services(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const doc of text.split('\n---\n')) {
    if (!/^kind: Service$/m.test(doc)) continue;
    const name = /^ {2}name: (\S+)$/m.exec(doc)?.[1];
    const port = /port: (\d+)/.exec(doc)?.[1];
    if (name !== undefined && port !== undefined) out.set(name, Number(port));
  }
  return out;
}

let server: LocalServer;
/** Market data's ingest socket, on the stand-in target: the feed user's frames are dropped. */
let feed: WebSocketServer;
let dir: string;
let feedUrl: string | undefined;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-k8s-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  feed = new WebSocketServer({ server: server.server, path: '/stream' });
  // the user file's MarketFeedUser streams here, not into a market data this machine may run
  feedUrl = process.env.TICKSTORM_MARKET_DATA_URL;
  process.env.TICKSTORM_MARKET_DATA_URL = new URL(server.url).origin;
});
afterEach(stopAll);
after(async () => {
  if (feedUrl === undefined) delete process.env.TICKSTORM_MARKET_DATA_URL;
  else process.env.TICKSTORM_MARKET_DATA_URL = feedUrl;
  for (const c of feed.clients) c.terminate();
  await new Promise<void>((r) => feed.close(() => r()));
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy/k8s/loadlab', () => {
  test('the hosts are Services of the trading manifest', () => {
    const svc = services(read('deploy/k8s/trading/tickstorm.yaml'));
    const master = yamlList(read('deploy/k8s/loadlab/master.yaml'), 'args');
    const host = new URL(master[master.indexOf('-H') + 1]);
    assert.equal(
      svc.get(host.hostname),
      Number(host.port),
      `-H ${host} is no Service of the trading manifest`,
    );
    const workers = read('deploy/k8s/loadlab/workers.yaml');
    const feed = /name: TICKSTORM_MARKET_DATA_URL, value: (\S+) \}/.exec(workers)?.[1];
    assert.ok(feed !== undefined, 'the workers tell the feed user where market data is');
    const f = new URL(feed);
    assert.equal(svc.get(f.hostname), Number(f.port), `${feed} is no Service of the trading manifest`);
  });

  test("the README's ConfigMap, mounted as the manifests say, runs on a master and a worker", async () => {
    const readme = read('deploy/k8s/loadlab/README.md');
    const create = /kubectl create configmap tickstorm-users (.*)$/m.exec(readme)?.[1];
    assert.ok(create !== undefined, 'the README creates the ConfigMap');
    assert.ok(read('docs/swarm.md').includes(`kubectl create configmap tickstorm-users ${create}`));
    const masterYaml = read('deploy/k8s/loadlab/master.yaml');
    const workersYaml = read('deploy/k8s/loadlab/workers.yaml');
    const mount = usersMount(masterYaml);
    assert.ok(mount !== undefined && mount === usersMount(workersYaml), 'both mount the users volume alike');
    // the ConfigMap's files, where the pods see them
    const users = join(dir, 'users');
    mkdirSync(users);
    for (const [, key, path] of create.matchAll(/--from-file=(?:([^=\s]+)=)?(\S+)/g)) {
      copyFileSync(join(ROOT, path), join(users, key ?? path.replace(/^.*\//, '')));
    }
    const local = (a: string) => a.replace(`${mount}/`, `${users}/`);
    const swap = (args: string[], values: Record<string, string>) =>
      args.map((a, i) => {
        const [flag] = a.split('=');
        if (a.includes('=') && flag in values) return `${flag}=${values[flag]}`;
        return i > 0 && args[i - 1] in values ? values[args[i - 1]] : local(a);
      });
    const json = join(dir, 'merged.json');
    const m = start([
      ...swap(yamlList(masterYaml, 'args'), {
        '--expect-workers': '1',
        '--expect-workers-max-wait': '60',
        '--master-bind-host': '127.0.0.1',
        '--master-bind-port': '0',
        '-u': '3',
        '-r': '100',
        '-t': '2s',
        '-H': server.url,
        '--json': json,
      }),
      '--only-summary',
    ]);
    const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
    const w = start(
      swap(yamlList(workersYaml, 'args'), { '--master-host': '127.0.0.1', '--master-port': port }),
    );
    const [mx, wx] = await Promise.all([m.exited, w.exited]);
    assert.equal(mx.code, 0, m.stdout() + m.stderr());
    assert.equal(wx.code, 0, w.stdout() + w.stderr());
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(report.workers.joined.length, 1);
    assert.equal(report.scenarios[0].extra.peakUsers, 3);
    const frames = report.scenarios[0].entries.find((e: { name: string }) => e.name === 'feed_frame');
    assert.ok(frames?.requests > 0 && frames.failures === 0, 'the feed user streamed its ticks');
  });
});
