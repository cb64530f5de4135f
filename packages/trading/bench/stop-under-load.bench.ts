/**
 * A graceful stop under order load, as a client sees it: `--clients` keep-alive connections
 * (raw sockets, one request at a time) send POST /orders back to back to `tickstorm serve`
 * (all four services, ports 0, a temporary data dir); `--signal` (SIGTERM, SIGINT or SIGHUP)
 * after `--warm-ms`. Every request is logged: sent, its answer (status, code, Connection:
 * close) or how its connection ended without one (ECONNRESET, closed). The system is then
 * restarted on the same data dir and every request of the stop window, and every 201 of the
 * run, is sent again with its clientOrderId: 409 = it was applied (a 503 at the restart is
 * retried). Per stop it prints: requests sent or answered during the stop, 2xx, 503, closed
 * without an answer, applied after the restart, and 201s missing after the restart.
 *
 *   node --import tsx packages/trading/bench/stop-under-load.bench.ts [--stops 3] [--clients 12]
 *     [--warm-ms 1500] [--signal SIGTERM] [--json]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from './bench-flags.ts';
import { TICKSTORM } from './serve-child.ts';

const FLAGS = {
  stops: { type: 'number', default: 3, help: 'stops to measure' },
  clients: { type: 'number', default: 12, help: 'keep-alive clients' },
  'warm-ms': { type: 'number', default: 1500, help: 'load before the signal (ms)' },
  signal: {
    type: 'string',
    default: 'SIGTERM',
    choices: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    help: 'the stop signal',
  },
  json: { type: 'boolean', help: 'one JSON line per stop' },
} as const;

const ZERO = ['market-data', 'execution-engine', 'risk-manager', 'api'].flatMap((s) => [`--${s}-port`, '0']);

interface Sent {
  id: string;
  sentAt: number;
  status: number | null;
  code: string | null;
  closes: boolean;
  error: string | null;
  endedAt: number | null;
  retried?: number;
}

interface Served {
  child: ChildProcess;
  url: URL;
  done: Promise<{ code: number | null; out: string }>;
}

async function serve(dir: string): Promise<Served> {
  const child = spawn(process.execPath, [TICKSTORM, 'serve', '--data-dir', dir, ...ZERO], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.resume();
  const done = new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, out })),
  );
  const url = await new Promise<URL>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /^execution-engine\s+(http:\S+)/m.exec(out);
      if (m !== null && /^pid \d+;/m.test(out)) resolve(new URL(m[1]!));
    });
    void done.then((f) => reject(new Error(`serve exited (${f.code}) before it was ready:\n${f.out}`)));
  });
  return { child, url, done };
}

function orderBody(id: string, n: number): string {
  const side = n % 2 === 0 ? 'buy' : 'sell';
  return JSON.stringify({
    symbol: 'AAPL',
    side,
    type: 'limit',
    quantity: 1,
    price: 100 + (n % 7),
    clientOrderId: id,
  });
}

function request(body: string): string {
  return `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** One client: sends, reads the answer, sends again; reconnects after a close; ends once refused. */
function client(
  port: number,
  k: number,
  log: Sent[],
  running: () => boolean,
  seq: () => number,
): Promise<void> {
  return new Promise((resolve) => {
    const open = () => {
      if (!running()) return resolve();
      const s = connect(port, '127.0.0.1');
      s.setEncoding('latin1');
      let buf = '';
      let cur: Sent | null = null;
      let connected = false;
      let ended = false;
      const next = () => {
        if (!running()) {
          s.destroy();
          return;
        }
        const n = seq();
        const id = `s${k}-${n}`;
        cur = {
          id,
          sentAt: performance.now(),
          status: null,
          code: null,
          closes: false,
          error: null,
          endedAt: null,
        };
        log.push(cur);
        s.write(request(orderBody(id, n)));
      };
      s.on('connect', () => {
        connected = true;
        next();
      });
      s.on('data', (d: string) => {
        buf += d;
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.slice(0, end);
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < end + 4 + length) return;
          const text = buf.slice(end + 4, end + 4 + length);
          buf = buf.slice(end + 4 + length);
          if (cur === null) continue;
          cur.status = Number(head.slice(9, 12));
          cur.endedAt = performance.now();
          try {
            cur.code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
          } catch {
            cur.code = null;
          }
          cur.closes = /^connection: *close/im.test(head);
          const closes = cur.closes;
          cur = null;
          if (closes) {
            s.end();
            return;
          }
          next();
        }
      });
      const finish = (why: string) => {
        if (ended) return;
        ended = true;
        if (cur !== null) {
          cur.error = why;
          cur.endedAt = performance.now();
          cur = null;
        }
        // refused: the server no longer listens, nothing was sent on it
        if (!connected && why === 'ECONNREFUSED') return resolve();
        setImmediate(open);
      };
      s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
      s.on('close', () => finish('closed'));
    };
    open();
  });
}

async function post(url: URL, body: string): Promise<number> {
  const res = await fetch(new URL('/orders', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await res.body?.cancel();
  return res.status;
}

async function oneStop(f: { clients: number; warmMs: number; signal: NodeJS.Signals }) {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-stop-bench-'));
  try {
    const first = await serve(dir);
    const log: Sent[] = [];
    let running = true;
    let n = 0;
    const port = Number(first.url.port);
    const clients = Array.from({ length: f.clients }, (_, k) =>
      client(
        port,
        k,
        log,
        () => running,
        () => ++n,
      ),
    );
    await new Promise((r) => setTimeout(r, f.warmMs));
    const stopAt = performance.now();
    first.child.kill(f.signal);
    const exit = await first.done;
    running = false;
    await Promise.all(clients);
    const during = log.filter((r) => r.sentAt >= stopAt || (r.endedAt ?? Number.POSITIVE_INFINITY) >= stopAt);
    const again = await serve(dir);
    let applied = 0;
    let missing201 = 0;
    for (const r of new Set([...during, ...log.filter((x) => x.status === 201)])) {
      const body = orderBody(r.id, Number(r.id.split('-')[1]));
      let status = await post(again.url, body);
      // a 503 right after the restart (shed while it catches up) is retried, as a client would
      for (let i = 0; status === 503 && i < 50; i++) {
        await new Promise((w) => setTimeout(w, 100));
        status = await post(again.url, body);
      }
      r.retried = status;
      if (status === 409 && during.includes(r)) applied++;
      if (r.status === 201 && status !== 409) missing201++;
    }
    again.child.kill('SIGTERM');
    await again.done;
    return {
      exit: exit.code,
      stoppedCleanly: /stopped cleanly/.test(exit.out),
      requests: log.length,
      duringStop: during.length,
      answered2xx: during.filter((r) => r.status !== null && r.status < 300).length,
      answered503: during.filter((r) => r.status === 503).length,
      answeredOther: during.filter((r) => r.status !== null && r.status >= 300 && r.status !== 503).length,
      closedWithoutAnswer: log.filter((r) => r.status === null).length,
      appliedAfterRestart: applied,
      missing201AfterRestart: missing201,
      unanswered: log
        .filter((r) => r.status === null)
        .map((r) => ({
          id: r.id,
          sentMs: +(r.sentAt - stopAt).toFixed(2),
          error: r.error,
          retried: r.retried,
        })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = parseFlags(import.meta.url, FLAGS);
for (let i = 0; i < f.stops; i++) {
  const r = await oneStop({ clients: f.clients, warmMs: f['warm-ms'], signal: f.signal as NodeJS.Signals });
  if (f.json) console.log(JSON.stringify(r));
  else
    console.log(
      `stop ${i + 1} (${f.signal}): exit ${r.exit}${r.stoppedCleanly ? ', stopped cleanly' : ''}; ` +
        `during the stop ${r.duringStop} requests: ${r.answered2xx} 2xx, ${r.answered503} 503, ` +
        `${r.answeredOther} other, ${r.closedWithoutAnswer} closed without an answer; ` +
        `${r.appliedAfterRestart} applied after the restart; ${r.missing201AfterRestart} of ${r.requests} 201s missing`,
    );
}
