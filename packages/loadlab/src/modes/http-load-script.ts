/**
 * The generic HTTP load script (`tickstorm http`, and any scenario that just fires prebuilt
 * requests): `connections` keep-alive connections (default: one per VU slot), requests taken
 * round-robin from `requests`, latency from the intended start. A VU slot is a request in
 * flight or waiting for a connection, so with maxVUs > connections a burst waits (measured)
 * instead of being dropped. Importable by worker threads (default export = the factory).
 */
import { HttpClient } from '../clients/http-client.ts';
import { type HttpRequestSpec, prepareRequest } from '../clients/http-request.ts';
import type { TlsOptions } from '../clients/tls-options.ts';
import { vuShare } from '../generator/closed-loop.ts';
import type { ScriptContext, VuScript } from '../generator/script.ts';

export interface HttpLoadParams {
  /** Target origin and default path, e.g. http://127.0.0.1:8000/health. */
  url: string;
  /** Distinct requests, sent round-robin (default: one GET of `url`). */
  requests?: HttpRequestSpec[];
  timeoutMs?: number;
  /** Connections over all generator threads (default: maxVUs). */
  connections?: number;
  /** https: --insecure / --ca / --cert --key. */
  tls?: TlsOptions;
  /** Closed model: coalesce reads (clients/read-coalescing.ts). */
  coalesceReads?: boolean;
}

export default async function httpLoadScript(ctx: ScriptContext<HttpLoadParams>): Promise<VuScript> {
  const p = ctx.params;
  const reqs = (p.requests?.length ? p.requests : [{}]).map((r) => prepareRequest(p.url, r));
  const w = ctx.worker;
  const connections =
    p.connections === undefined ? ctx.maxVUs : Math.max(1, vuShare(p.connections, w.index, w.count));
  const client = new HttpClient({
    url: p.url,
    connections,
    events: ctx.events,
    timeoutMs: p.timeoutMs,
    onDone: ctx.done,
    tls: p.tls,
    coalesceReads: p.coalesceReads === true,
  });
  await client.prewarm(Math.min(connections, ctx.preAllocatedVUs));
  const n = reqs.length;
  let next = 0;
  return {
    start(vu, intendedUs) {
      const r = reqs[next];
      next = next + 1 === n ? 0 : next + 1;
      client.submit(vu, r, intendedUs);
    },
    close: () => client.close(),
    counters: () => client.counters(),
  };
}
