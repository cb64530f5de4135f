/**
 * Scenario 3's HTTP script (importable by worker threads): each iteration POSTs one batch of
 * the standard records to `/api/metrics` — `{"name":"metric_{i % 100}","value":i,"labels":{"batch":"N"}}`
 * for i in 0..batchSize-1 — and ends on the answer (success = 202), latency from the
 * intended time. The request is prebuilt once per connection (VU slot = connection); only the
 * batch number changes, written in place into fixed-width slots (the label string, then
 * JSON whitespace up to the slot's width), so the body keeps its length and nothing is
 * built per batch. Batch numbers are the global schedule's (thread i sends i, i + W, ...).
 *
 * Against a system with keys (`--key-file`), a signature covers the body, so a body edited
 * in place needs its own: each batch is then signed as it is sent (one HMAC and one copy per
 * batch, a few microseconds for the 100-record batch), never with a signature of other bytes.
 */
import {
  envSigner,
  HttpClient,
  type PreparedRequest,
  prepareRequest,
  type ScriptContext,
  type TlsOptions,
  type VuScript,
} from '@tickstorm/loadlab';

export interface DbHttpScriptParams {
  url: string;
  /** https: --insecure / --ca. */
  tls?: TlsOptions;
  batchSize: number;
  timeoutMs: number;
}

interface Slotted {
  req: PreparedRequest;
  /** Byte offset of each record's batch-label slot. */
  slots: Int32Array;
}

/** The standard batch as JSON with a `width`-byte slot per record for the batch label. */
export function batchBody(batchSize: number, width: number): { body: string; slots: number[] } {
  const slots: number[] = [];
  let body = '[';
  const blank = `"0"${' '.repeat(width - 3)}`;
  for (let i = 0; i < batchSize; i++) {
    if (i > 0) body += ',';
    body += `{"name":"metric_${i % 100}","value":${i},"labels":{"batch":`;
    slots.push(body.length);
    body += `${blank}}}`;
  }
  return { body: `${body}]`, slots };
}

/** Writes `"n"` and padding spaces into every slot (ASCII, so chars = bytes). */
export function writeBatchNumber(bytes: Buffer, slots: Int32Array, width: number, n: number): void {
  const first = slots[0];
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  bytes[first] = 0x22;
  let x = n;
  for (let d = digits; d >= 1; d--) {
    bytes[first + d] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  bytes[first + digits + 1] = 0x22;
  bytes.fill(0x20, first + digits + 2, first + width);
  for (let i = 1; i < slots.length; i++) bytes.copy(bytes, slots[i], first, first + width);
}

export default async function dbHttpScript(ctx: ScriptContext<DbHttpScriptParams>): Promise<VuScript> {
  const p = ctx.params;
  const ex = ctx.executor;
  const planned =
    ex.model === 'open' ? ex.segments.reduce((s, g) => s + ((g.from + g.to) / 2) * (g.ms / 1000), 0) : 1e9;
  const width = String(Math.ceil(planned) + ctx.worker.count).length + 2;
  const { body, slots } = batchBody(p.batchSize, width);
  const bodyBytes = Buffer.byteLength(body);
  const perVu: Slotted[] = [];
  const signer = envSigner();
  for (let v = 0; v < ctx.maxVUs; v++) {
    const req = prepareRequest(
      p.url,
      {
        method: 'POST',
        path: '/api/metrics',
        headers: { 'content-type': 'application/json' },
        body,
        name: '/api/metrics',
      },
      null,
    );
    const head = req.bytes.length - Buffer.byteLength(body);
    perVu.push({ req, slots: Int32Array.from(slots, (s) => s + head) });
  }
  const client = new HttpClient({
    url: p.url,
    connections: ctx.maxVUs,
    events: ctx.events,
    timeoutMs: p.timeoutMs,
    onDone: ctx.done,
    ok: (status) => status === 202,
    tls: p.tls,
  });
  await client.prewarm(ctx.preAllocatedVUs);
  let k = 0;
  return {
    start(vu, intendedUs) {
      const s = perVu[vu];
      writeBatchNumber(s.req.bytes, s.slots, width, ctx.worker.index + k * ctx.worker.count);
      k++;
      if (signer === null) {
        client.send(vu, s.req, intendedUs);
        return;
      }
      // the unsigned bytes end their head with CRLF CRLF: the auth headers go before the last CRLF
      const bytes = s.req.bytes;
      const bodyAt = bytes.length - bodyBytes;
      const b = bytes.subarray(bodyAt);
      const auth = Buffer.from(signer.headerBlock('POST', '/api/metrics', b, Date.now()), 'latin1');
      client.send(
        vu,
        { ...s.req, bytes: Buffer.concat([bytes.subarray(0, bodyAt - 2), auth, bytes.subarray(bodyAt - 2)]) },
        intendedUs,
      );
    },
    close: () => client.close(),
    counters: () => client.counters(),
  };
}
