/**
 * One WebSocket upgrade attempt: 101 when it opened (closed at once), else the refusal's
 * status, Retry-After and body as the server sent them.
 */
import WebSocket from 'ws';

export interface UpgradeOutcome {
  status: number;
  retryAfter?: string;
  body: string;
}

export function tryUpgrade(url: string, opts: { origin?: string } = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts.origin === undefined ? {} : { origin: opts.origin });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string, body });
        ws.terminate();
      });
    });
    ws.on('error', () => {});
  });
}
