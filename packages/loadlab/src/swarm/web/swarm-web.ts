/**
 * `tickstorm swarm`'s web UI (Locust's, our own): a node:http server over a SwarmController.
 *
 *   const web = await startSwarmWeb({ controller, port: 8089 });   // port 0 = a free port
 *   console.log(web.url);  ...  await web.close();
 *
 * Routes (Locust's names):
 *   GET  /                                  the page (page.html, assets under /assets/)
 *   POST /swarm                             user_count, spawn_rate, host, run_time (form or JSON) -> {success, message}
 *                                           (while a test runs: new target; the host stays)
 *   GET  /stop, GET /stats/reset            -> {success, message} (POST accepted too)
 *   GET  /stats/requests                    live statistics (stats-json.ts); with `workers`
 *                                           (--master) also the Workers table's rows
 *   GET  /exceptions                        {exceptions: [{count, msg, traceback, nodes}]}
 *   GET  /stats/requests/csv, /stats/requests_full_history/csv, /stats/failures/csv,
 *        /exceptions/csv                    Locust-compatible CSV attachments
 *   GET  /stats/report                      the HTML report of the last (or running) test, as
 *                                           --html writes it; ?download=1: as an attachment
 * Errors are JSON {success: false, message, code}, codes and statuses from the lab's registry
 * (errors.ts): 400 LAB_ERR_INVALID_SWARM (every problem
 * in the message and in `problems`), 403 LAB_ERR_FORBIDDEN_ORIGIN (a POST from another site), 404 LAB_ERR_NOT_FOUND,
 * 405 LAB_ERR_METHOD_NOT_ALLOWED, 413 LAB_ERR_BODY_TOO_LARGE, 500 LAB_ERR_SWARM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LabError, LabErrorCode } from '../../errors.ts';
import { EXIT_OK } from '../../gates/exit-codes.ts';
import { exitCodeFor } from '../../gates/thresholds.ts';
import type { RunReport } from '../../model/result.ts';
import { renderHtmlReport } from '../../report/html.ts';
import { exceptionNodes } from '../../report/locust-csv.ts';
import type { SwarmController } from '../swarm-controller.ts';
import type { WorkersReport } from '../worker-status.ts';
import { fillTemplate, loadAssets, type WebAssets } from './assets.ts';
import { CSV_ROUTES } from './csv-downloads.ts';
import { CurrentRates } from './current-rates.ts';
import { readBody, sendBody, sendError, sendJson } from './http-util.ts';
import { statsDocument } from './stats-json.ts';
import { parseSwarmForm } from './swarm-form.ts';

export interface SwarmWebOptions {
  controller: SwarmController;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (default 8089, Locust's); 0 = a free port. */
  port?: number;
  /** --master: the workers, for /stats/requests and the page's Workers table. */
  workers?: () => WorkersReport;
  /** The run report for /stats/report (the session's: its thresholds); default: none set. */
  report?: () => RunReport;
}

export interface SwarmWeb {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

interface Route {
  methods: readonly string[];
  handle: Handler;
}

export async function startSwarmWeb(o: SwarmWebOptions): Promise<SwarmWeb> {
  const assets = loadAssets();
  const routes = buildRoutes(o.controller, assets, o.workers);
  routes.set('/stats/report', {
    methods: ['GET'],
    handle: (req, res) => sendReport(req, res, o.report ?? (() => plainReport(o.controller))),
  });
  const server = http.createServer((req, res) => {
    void dispatch(routes, assets, req, res).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      // a LabError keeps its own code and status (no workers in time: 503 LAB_ERR_WORKERS_MISSING)
      if (!res.headersSent) sendError(res, e instanceof LabError ? e.code : LabErrorCode.SWARM, message);
      else res.destroy();
    });
  });
  const bind = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8089, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function dispatch(
  routes: Map<string, Route>,
  assets: WebAssets,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const method = req.method ?? 'GET';
  const asset = assets.files.get(path);
  const route: Route | undefined =
    asset !== undefined
      ? {
          methods: ['GET'],
          handle: () => sendBody(res, asset.type, asset.body, { 'cache-control': 'no-cache' }),
        }
      : routes.get(path);
  if (route === undefined) return sendError(res, LabErrorCode.NOT_FOUND, `no such page: ${path}`);
  if (!route.methods.includes(method)) {
    res.setHeader('allow', route.methods.join(', '));
    return sendError(
      res,
      LabErrorCode.METHOD_NOT_ALLOWED,
      `${method} ${path}: use ${route.methods.join(' or ')}`,
    );
  }
  if (method === 'POST' && !sameOrigin(req)) {
    return sendError(res, LabErrorCode.FORBIDDEN_ORIGIN, `POST from another origin (${req.headers.origin})`);
  }
  await route.handle(req, res);
}

/** A browser's cross-site POST carries a foreign Origin; tools (curl, tests) send none. */
function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function buildRoutes(
  c: SwarmController,
  assets: WebAssets,
  workers?: () => WorkersReport,
): Map<string, Route> {
  const stop: Handler = async (_req, res) => {
    const was = c.state;
    await c.stop();
    const message = was === 'ready' || was === 'stopped' ? 'No test is running' : 'Test stopped';
    sendJson(res, 200, { success: true, message });
  };
  const reset: Handler = (_req, res) => {
    const done = c.resetStats();
    const message = done
      ? 'Statistics reset'
      : 'No test is running: the last test keeps its results, and a new test starts with fresh statistics';
    sendJson(res, 200, { success: done, message });
  };
  const rates = new CurrentRates();
  const routes = new Map<string, Route>([
    ['/', { methods: ['GET'], handle: (_req, res) => sendPage(res, c, assets) }],
    ['/swarm', { methods: ['POST'], handle: (req, res) => swarm(c, req, res) }],
    ['/stop', { methods: ['GET', 'POST'], handle: stop }],
    ['/stats/reset', { methods: ['GET', 'POST'], handle: reset }],
    [
      '/stats/requests',
      {
        methods: ['GET'],
        handle: (_req, res) => sendJson(res, 200, statsDocument(c.view(), rates, Date.now(), workers?.())),
      },
    ],
    [
      '/exceptions',
      {
        methods: ['GET'],
        handle: (_req, res) =>
          sendJson(res, 200, {
            exceptions: c.view().exceptions.map((e) => ({
              count: e.count,
              msg: e.message,
              traceback: e.traceback,
              nodes: exceptionNodes(e),
            })),
          }),
      },
    ],
  ]);
  for (const [path, csv] of CSV_ROUTES) {
    routes.set(path, {
      methods: ['GET'],
      handle: (_req, res) =>
        sendBody(res, 'text/csv; charset=utf-8', csv.render(c.result()), {
          'content-disposition': `attachment; filename="${csv.stem}_${Math.floor(Date.now() / 1000)}.csv"`,
          'cache-control': 'no-store',
        }),
    });
  }
  return routes;
}

function sendPage(res: http.ServerResponse, c: SwarmController, assets: WebAssets): void {
  const running = c.state === 'spawning' || c.state === 'running';
  const html = fillTemplate(assets.page, {
    users: running || c.targetUsers > 0 ? c.targetUsers : 1,
    spawnRate: c.spawnRate,
    host: c.host,
    state: c.state,
    classes: c.classNames.join(', '),
    runTime: c.runTimeSec ? `${c.runTimeSec}s` : '',
  });
  sendBody(res, 'text/html; charset=utf-8', html, { 'cache-control': 'no-store' });
}

async function swarm(c: SwarmController, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let body: string;
  try {
    body = await readBody(req);
  } catch (e) {
    if (e instanceof LabError && e.code === LabErrorCode.BODY_TOO_LARGE)
      return sendError(res, e.code, e.message);
    throw e;
  }
  const form = parseSwarmForm(body, req.headers['content-type'] ?? '');
  if (form.start === null) {
    const message = `Invalid swarm: ${form.problems.join('; ')}`;
    return sendError(res, LabErrorCode.INVALID_SWARM, message, { problems: form.problems });
  }
  const s = form.start;
  const wasRunning = c.state === 'spawning' || c.state === 'running';
  const hostIgnored = wasRunning && s.host !== undefined && s.host !== c.host;
  try {
    await c.start(s);
  } catch (e) {
    // a class the file does not have, or a class change while a test runs
    const invalid =
      e instanceof LabError &&
      (e.code === LabErrorCode.INVALID_USER_FILE || e.code === LabErrorCode.INVALID_SWARM);
    if (!invalid) throw e;
    const problems = e.problems ?? [e.message];
    return sendError(res, LabErrorCode.INVALID_SWARM, `Invalid swarm: ${problems.join('; ')}`, { problems });
  }
  const what = `${s.users} users at ${s.spawnRate} users/s`;
  const message = wasRunning
    ? `Swarm re-targeted: ${what}${hostIgnored ? ` (the host stays ${c.host} while the test runs)` : ''}`
    : `Swarming started: ${what} against ${c.host}${c.runTimeSec ? ` for ${c.runTimeSec}s` : ''}`;
  sendJson(res, 200, { success: true, message, host: c.host });
}

/** Locust's /stats/report: the HTML report, shown (or, with ?download=1, saved). */
async function sendReport(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  report: () => RunReport,
): Promise<void> {
  const run = report();
  const html = await renderHtmlReport(run, {
    title: `Tickstorm swarm report: ${run.scenarios[0]?.scenario ?? 'swarm'}`,
  });
  const download = new URL(req.url ?? '/', 'http://x').searchParams.has('download');
  sendBody(res, 'text/html; charset=utf-8', html, {
    'cache-control': 'no-store',
    ...(download
      ? { 'content-disposition': `attachment; filename="report_${Math.floor(Date.now() / 1000)}.html"` }
      : {}),
  });
}

function plainReport(c: SwarmController): RunReport {
  const r = c.result();
  const run: RunReport = {
    tool: 'tickstorm',
    version: '',
    startedAt: r.startedAt,
    finishedAt: Date.now(),
    target: c.host,
    scenarios: [r],
    thresholds: [],
    exitCode: EXIT_OK,
  };
  run.exitCode = exitCodeFor(run);
  return run;
}
