/**
 * Runs autocannon (the devDependency, programmatic API) in its own process so that its CPU
 * can be measured like ours: process.cpuUsage over the run only (startup excluded). Prints
 * {"requests","errors","rps","cpu_s","cpu_user_s","cpu_system_s","latency_ms":{"p50","p99","max"}} on stdout.
 *   node --import tsx bench/autocannon-child.ts URL CONNECTIONS SECONDS [RATE]
 */
import autocannon from 'autocannon';

const [url, connections, seconds, rate] = process.argv.slice(2);
const c0 = process.cpuUsage();
const t0 = performance.now();
autocannon(
  {
    url,
    connections: Number(connections),
    duration: Number(seconds),
    ...(rate ? { overallRate: Number(rate) } : {}),
  },
  (err, r) => {
    if (err) throw err;
    const c = process.cpuUsage(c0);
    const wall = (performance.now() - t0) / 1000;
    const out = {
      requests: r.requests.total,
      errors: r.errors + r.timeouts + r.non2xx,
      rps: Math.round(r.requests.total / wall),
      cpu_s: (c.user + c.system) / 1e6,
      cpu_user_s: c.user / 1e6,
      cpu_system_s: c.system / 1e6,
      latency_ms: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  },
);
