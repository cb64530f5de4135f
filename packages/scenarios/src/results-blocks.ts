/**
 * The figures in each scenario's results block, printed the way the standard load scenarios
 * have always reported them ("Total ticks generated", "Average rate", ...). Figures are read
 * from `extra` (then `params`) when present:
 * - market-data-flood: ticksSent, ticksProcessed, ticksRejected
 * - db-throughput: batchSize, totalRecords, batches
 * - ws-concurrency: clients (or clientsConnected), totalMessages, clientsReceiving, avgLatencyMs
 */
import {
  commas,
  latencyLines,
  outcomeLines,
  pickNumber,
  pyFixed,
  type ScenarioResult,
} from '@tickstorm/loadlab';
import { batchSize } from './target-tables.ts';

const pct = (part: number, whole: number) => (whole > 0 ? pyFixed((part / whole) * 100, 1) : '0.0');

export function orderStressLines(s: ScenarioResult): string[] {
  return [
    ...outcomeLines(s, 'orders'),
    `Throughput: ${pyFixed(s.rps, 2)} orders/sec`,
    '',
    ...latencyLines(s),
  ];
}

export function marketDataLines(s: ScenarioResult): string[] {
  const sent = pickNumber(s.extra, 'ticksSent') ?? s.requests;
  const lines = [
    `Total ticks generated: ${commas(sent)}`,
    `Average rate: ${pyFixed(sent / Math.max(s.durationSec, 1e-9), 2)} ticks/sec`,
  ];
  const processed = pickNumber(s.extra, 'ticksProcessed');
  const rejected = pickNumber(s.extra, 'ticksRejected');
  if (processed !== undefined) lines.push(`Ticks processed: ${commas(processed)}`);
  if (rejected !== undefined) lines.push(`Ticks rejected: ${commas(rejected)}`);
  return [...lines, '', ...latencyLines(s)];
}

export function dbLines(s: ScenarioResult): string[] {
  const batch = batchSize(s);
  const batches = pickNumber(s.extra, 'batches') ?? s.requests;
  const records = pickNumber(s.extra, 'totalRecords') ?? batches * batch;
  return [
    `Total records: ${commas(records)}`,
    `Batch size: ${batch}`,
    `Total batches: ${batches}`,
    ...(s.failures > 0 ? [`Failed batches: ${commas(s.failures)} (${pct(s.failures, s.requests)}%)`] : []),
    '',
    ...latencyLines(s),
    '',
    // One figure: records written over the run's measured duration (the old "Average", batch
    // size / mean latency, assumed one batch in flight and contradicted it).
    `Throughput: ${pyFixed(records / Math.max(s.durationSec, 1e-9), 0)} records/sec (${commas(records)} records in ${pyFixed(s.durationSec, 1)} s)`,
  ];
}

export function wsLines(s: ScenarioResult): string[] {
  const clients = pickNumber(s.extra, 'clients', 'clientsConnected') ?? pickNumber(s.params, 'clients') ?? 0;
  const messages = pickNumber(s.extra, 'totalMessages') ?? s.requests;
  const avg = pickNumber(s.extra, 'avgLatencyMs') ?? s.latency_ms.mean;
  const lines = [
    `Concurrent clients: ${clients}`,
    `Total messages: ${commas(messages)}`,
    `Messages/client: ${pyFixed(clients > 0 ? messages / clients : 0, 0)}`,
    `Average latency: ${pyFixed(avg, 2)} ms`,
  ];
  const receiving = pickNumber(s.extra, 'clientsReceiving');
  if (receiving !== undefined) lines.push(`Clients receiving updates: ${receiving}/${clients}`);
  return [...lines, '', ...latencyLines(s)];
}
