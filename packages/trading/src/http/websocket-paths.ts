/**
 * The WebSocket endpoints an HTTP server upgrades (`/stream`, `/ws/metrics`), so that a plain
 * HTTP request to one (a browser's address bar, curl, a client that forgot the upgrade) is
 * told what the path is (426 TRD_ERR_UPGRADE_REQUIRED with `Upgrade: websocket`, as RFC 9110
 * §15.5.22 has it) rather than 404 "no route", which read as if nothing were there.
 */
import type { Server } from 'node:http';

const PATHS = new WeakMap<Server, Set<string>>();

/** Records that `server` upgrades `path` (called by the endpoint when it attaches). */
export function servesWebSocket(server: Server, path: string): void {
  let set = PATHS.get(server);
  if (set === undefined) {
    set = new Set();
    PATHS.set(server, set);
  }
  set.add(path);
}

/** Whether `server` upgrades `path` (the path without its query). */
export function isWebSocketPath(server: Server, path: string): boolean {
  return PATHS.get(server)?.has(path) ?? false;
}
