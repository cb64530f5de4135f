/** Small node:http helpers for the swarm web UI: JSON/text answers and a bounded body reader. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LabError, LabErrorCode, labHttpStatus } from '../../errors.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

export function sendBody(
  res: ServerResponse,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** A coded error answer: `{success: false, message, code, ...extra}` with the code's HTTP status (errors.ts). */
export function sendError(
  res: ServerResponse,
  code: LabErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, labHttpStatus(code), { success: false, message, code, ...extra });
}

/** The request body as text; rejects with a LabError LAB_ERR_BODY_TOO_LARGE past MAX_BODY_BYTES. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new LabError(LabErrorCode.BODY_TOO_LARGE, `the body exceeds ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
