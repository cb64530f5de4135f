/**
 * The crash harness: a real `tickstorm serve execution-engine` child, killed with SIGKILL at
 * a random moment while limit, market and stop orders and cancels (each order with a
 * clientOrderId, accounts a0..a2) flow at R orders/s over C keep-alive connections; then,
 * for every cycle:
 *   1. the state hash of a recovery (newest snapshot + journal tail) equals the hash of a
 *      fresh replay of the whole journal (the same directory without its snapshots);
 *   2. a power-loss simulation: the active logs cut back to the offset of their last
 *      fdatasync (the writer's `<log>.synced` marker) still hold every acknowledged order;
 *   3. the restarted server answers every acknowledged order in the state it was
 *      acknowledged in or a later one, and a retried clientOrderId gets 409 naming it.
 * Used by the quick form in `npm test` (packages/trading/test/crash-harness.test.ts) and the
 * long form `packages/trading/bench/crash.bench.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InstrumentTable } from '@tickstorm/protocol';
import { stateHash } from '../src/system/state-hash.ts';
import { TradingCore } from '../src/system/trading-core.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TICKSTORM = join(ROOT, 'bin', 'tickstorm.js');

export interface CrashOptions {
  cycles: number;
  /** Orders (and cancels) per second offered. */
  rate: number;
  connections: number;
  /** Run time before the kill, uniformly in [min, max] ms. */
  runMs: [number, number];
  seed: number;
  durability?: 'fsync' | 'write';
  /** Snapshot interval of the child (ms), so that kills land before, during and after snapshots. */
  snapshotMs?: number;
  log?: (line: string) => void;
}

export interface CrashResult {
  cycles: number;
  sent: number;
  acknowledged: number;
  cancelsAcknowledged: number;
  /** Acknowledged orders missing, or found in an earlier state, after a restart. */
  lost: number;
  /** Acknowledged orders missing after the simulated power loss. */
  lostPowerLoss: number;
  /** Recoveries whose state hash differed from a fresh replay of the journal. */
  hashMismatches: number;
  duplicateChecks: number;
  restartMs: number[];
  failures: string[];
}

interface Acked {
  cycle: number;
  id: string;
  status: string;
  filled: number;
  clientOrderId: string;
  account: string;
}

const RANK: Record<string, number> = {
  pending: 0,
  new: 1,
  partially_filled: 2,
  filled: 3,
  cancelled: 3,
  rejected: 3,
};
const TERMINAL = new Set(['filled', 'cancelled', 'rejected']);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

function call(agent: Agent, base: URL, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: text.length > 0 ? JSON.parse(text) : {} });
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface Child {
  child: ChildProcess;
  url: URL;
  exited: Promise<void>;
  output: () => string;
}

async function startChild(dir: string, o: CrashOptions, timeoutMs = 60_000): Promise<Child> {
  const child = spawn(
    process.execPath,
    [
      TICKSTORM,
      'serve',
      'execution-engine',
      '--data-dir',
      dir,
      '--execution-engine-port',
      '0',
      '--durability',
      o.durability ?? 'fsync',
      '--snapshot-interval',
      String(o.snapshotMs ?? 0),
      '--retain-snapshots',
      '0',
    ],
    { cwd: ROOT, env: { ...process.env, TICKSTORM_SYNC_MARKER: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    text += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    text += d;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve not ready within ${timeoutMs} ms:\n${text}`));
    }, timeoutMs);
    const check = () => {
      const m = /execution-engine\s+(http:\/\/\S+)/.exec(text);
      if (m !== null && /^pid \d+;/m.test(text)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(new URL(m[1]));
      }
    };
    child.stdout!.on('data', check);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`serve exited before it was ready:\n${text}`));
    });
  });
  return { child, url, exited, output: () => text };
}

function laterOrSame(a: Acked, status: string, filled: number): boolean {
  return TERMINAL.has(a.status)
    ? status === a.status && filled === a.filled
    : RANK[status] >= RANK[a.status] && filled >= a.filled;
}

/**
 * On copies of `dir`, in this process: every acknowledged order is in the recovered state
 * (the same recovery code the restarted child runs), in its acknowledged state or a later
 * one; recovery hash == fresh replay hash; the power-loss cut keeps every order.
 */
async function checkJournal(
  dir: string,
  acked: Map<string, Acked>,
  res: CrashResult,
  cycle: number,
): Promise<void> {
  const cores: TradingCore[] = [];
  const instruments = new InstrumentTable();
  const quiet = () => {};
  const copy = (withSnapshots: boolean) => {
    const d = mkdtempSync(join(tmpdir(), 'tickstorm-crash-copy-'));
    cpSync(dir, d, { recursive: true });
    if (!withSnapshots) for (const f of readdirSync(d)) if (f.endsWith('.tks')) rmSync(join(d, f));
    return d;
  };
  const open = (d: string) => {
    const core = new TradingCore({
      instruments,
      dataDir: d,
      snapshotIntervalMs: 0,
      durability: 'write',
      report: quiet,
    });
    cores.push(core);
    return core;
  };
  const a = copy(true);
  const b = copy(false);
  const c = copy(true);
  try {
    const recovered = open(a);
    for (const o of acked.values()) {
      const g = recovered.gateway.get(o.id);
      const body = g.body as { toJSON?: () => Record<string, unknown> };
      const j = g.status === 200 && body.toJSON !== undefined ? body.toJSON() : null;
      if (j === null || !laterOrSame(o, String(j.status), Number(j.filledQuantity ?? 0))) {
        res.lost++;
        if (res.failures.length < 20) {
          res.failures.push(
            `cycle ${cycle}: recovery has ${o.id} as ${j?.status ?? g.status}, acknowledged ${o.status}`,
          );
        }
      }
    }
    const ha = stateHash(recovered);
    const hb = stateHash(open(b));
    if (ha !== hb) {
      res.hashMismatches++;
      res.failures.push(
        `cycle ${cycle}: recovered state hash ${ha.slice(0, 12)} != fresh replay ${hb.slice(0, 12)}`,
      );
    }
    // power loss: every active log back to its last fdatasync'd offset
    for (const f of readdirSync(c)) {
      const m = /^(input-log-\d+\.bin)\.synced$/.exec(f);
      if (m === null || !existsSync(join(c, m[1]))) continue;
      const off = Number(readFileSync(join(c, f)).readBigUInt64LE(0));
      truncateSync(join(c, m[1]), off);
    }
    const pl = open(c);
    for (const o of acked.values()) {
      if (pl.gateway.get(o.id).status !== 200) {
        res.lostPowerLoss++;
        if (res.failures.length < 20) res.failures.push(`cycle ${cycle}: power loss lost ${o.id}`);
      }
    }
  } finally {
    for (const core of cores) await core.close();
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
}

export async function runCrashHarness(o: CrashOptions): Promise<CrashResult> {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-crash-'));
  const r = rng(o.seed);
  const res: CrashResult = {
    cycles: 0,
    sent: 0,
    acknowledged: 0,
    cancelsAcknowledged: 0,
    lost: 0,
    lostPowerLoss: 0,
    hashMismatches: 0,
    duplicateChecks: 0,
    restartMs: [],
    failures: [],
  };
  const acked = new Map<string, Acked>();
  let seq = 0;
  let current: Child | null = null;
  try {
    for (let cycle = 0; cycle < o.cycles; cycle++) {
      const t0 = performance.now();
      const ch = await startChild(dir, o);
      current = ch;
      res.restartMs.push(performance.now() - t0);
      const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
      // 1. what the last cycle acknowledged is served, in its state or a later one (every
      //    earlier order was checked in the recovered state by checkJournal)
      for (const a of [...acked.values()].filter((x) => x.cycle === cycle - 1)) {
        const g = await call(agent, ch.url, 'GET', `/orders/${a.id}`);
        const status = String(g.body.status);
        const filled = Number(g.body.filledQuantity ?? 0);
        const ok = g.status === 200 && laterOrSame(a, status, filled);
        if (!ok) {
          res.lost++;
          if (res.failures.length < 20) {
            res.failures.push(
              `cycle ${cycle}: ${a.id} acknowledged ${a.status}/${a.filled}, found ${g.status} ${status}/${filled}`,
            );
          }
        } else {
          a.status = status;
          a.filled = filled;
        }
      }
      // the clientOrderId of a few acknowledged orders: 409 naming the original
      const sample = [...acked.values()].slice(-3);
      for (const a of sample) {
        const d = await call(agent, ch.url, 'POST', '/orders', {
          symbol: 'AAPL',
          side: 'buy',
          type: 'limit',
          quantity: 1,
          price: 100,
          clientOrderId: a.clientOrderId,
          account: a.account,
        });
        res.duplicateChecks++;
        if (d.status !== 409 || d.body.orderId !== a.id) {
          res.lost++;
          res.failures.push(
            `cycle ${cycle}: retry of ${a.clientOrderId} got ${d.status} ${JSON.stringify(d.body)}`,
          );
        }
      }
      // 2. traffic at R/s over C connections until a random moment, then SIGKILL
      const runMs = o.runMs[0] + r() * (o.runMs[1] - o.runMs[0]);
      const live: string[] = [];
      for (const a of acked.values()) if (!TERMINAL.has(a.status)) live.push(a.id);
      let killed = false;
      const inflight = new Set<Promise<void>>();
      const send = () => {
        const x = r();
        let p: Promise<void>;
        if (x < 0.15 && live.length > 0) {
          const id = live.splice(Math.floor(r() * live.length), 1)[0];
          p = call(agent, ch.url, 'DELETE', `/orders/${id}`).then((rep) => {
            if (rep.status === 200 && !killed) {
              res.cancelsAcknowledged++;
              const a = acked.get(id);
              if (a !== undefined) {
                a.status = String(rep.body.status);
                a.filled = Number(rep.body.filledQuantity ?? 0);
              }
            }
          });
        } else {
          const type = x < 0.75 ? 'limit' : x < 0.88 ? 'market' : 'stop';
          const side = r() < 0.5 ? 'buy' : 'sell';
          const clientOrderId = `c${o.seed}-${seq++}`;
          const account = `a${Math.floor(r() * 3)}`;
          const body: Record<string, unknown> = {
            symbol: r() < 0.5 ? 'AAPL' : 'MSFT',
            side,
            type,
            quantity: 1 + Math.floor(r() * 5),
            clientOrderId,
            account,
          };
          if (type === 'limit') body.price = (9_950 + Math.floor(r() * 100)) / 100;
          if (type === 'stop') body.price = side === 'buy' ? 100.6 : 99.4;
          res.sent++;
          p = call(agent, ch.url, 'POST', '/orders', body).then((rep) => {
            // an answer read after the kill was still sent before it: it counts
            if (rep.status === 201) {
              res.acknowledged++;
              const id = String(rep.body.id);
              const status = String(rep.body.status);
              acked.set(id, {
                cycle,
                id,
                status,
                filled: Number(rep.body.filledQuantity ?? 0),
                clientOrderId,
                account,
              });
              if (!TERMINAL.has(status)) live.push(id);
            }
          });
        }
        const q = p.catch(() => {}).finally(() => inflight.delete(q));
        inflight.add(q);
      };
      const t1 = performance.now();
      let sentThisCycle = 0;
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          const elapsed = performance.now() - t1;
          if (elapsed >= runMs) {
            clearInterval(tick);
            resolve();
            return;
          }
          const due = Math.floor((elapsed / 1000) * o.rate);
          while (sentThisCycle < due && inflight.size < 4 * o.connections * 16) {
            send();
            sentThisCycle++;
          }
        }, 2);
      });
      ch.child.kill('SIGKILL');
      killed = true;
      await ch.exited;
      await Promise.allSettled([...inflight]);
      agent.destroy();
      current = null;
      res.cycles++;
      log(
        `cycle ${cycle}: killed after ${Math.round(runMs)} ms; ${res.acknowledged} orders acknowledged so far, ${res.lost} lost`,
      );
      // 3. recovery == fresh replay; power loss keeps every acknowledged order
      await checkJournal(dir, acked, res, cycle);
    }
    // a last restart checks the last cycle's acknowledgements
    const ch = await startChild(dir, o);
    current = ch;
    const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
    for (const a of [...acked.values()].filter((x) => x.cycle === o.cycles - 1)) {
      const g = await call(agent, ch.url, 'GET', `/orders/${a.id}`);
      const status = String(g.body.status);
      if (g.status !== 200 || !laterOrSame(a, status, Number(g.body.filledQuantity ?? 0))) {
        res.lost++;
        if (res.failures.length < 20)
          res.failures.push(`final: ${a.id} acknowledged ${a.status}, found ${g.status}`);
      }
    }
    agent.destroy();
    ch.child.kill('SIGTERM');
    await ch.exited;
    current = null;
  } finally {
    if (current !== null) {
      current.child.kill('SIGKILL');
      await current.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return res;
}
