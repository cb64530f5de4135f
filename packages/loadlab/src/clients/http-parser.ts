/**
 * A minimal, fast HTTP/1.1 response parser for the load generator: the status line, the
 * three headers that frame a response (Content-Length, Transfer-Encoding: chunked,
 * Connection: close), and the body skipped by length, by chunks, or until the connection
 * closes. Bodies are counted, never copied; only a head split across reads is buffered.
 * Interim 1xx responses are skipped; HEAD, 204 and 304 responses have no body.
 *
 * A server answering a load test sends the same head again and again (only Date changes, once
 * a second), so the last parsed head is kept: a head byte-identical to it (one native compare,
 * whole in this read) reuses its parse, which is the same function of the same bytes.
 */

enum S {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkCrlf,
  Trailer,
  UntilClose,
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = bytes('content-length');
const TRANSFER_ENCODING = bytes('transfer-encoding');
const CONNECTION = bytes('connection');
const CHUNKED = bytes('chunked');
const CLOSE = bytes('close');
const KEEP_ALIVE = bytes('keep-alive');
/** Heads up to this size are remembered for the byte-identical fast path. */
const CACHE_MAX = 1024;

/** h[at ..] equals the lowercase ASCII `lit`, ignoring case. */
function eqLower(h: Buffer, at: number, lit: Uint8Array): boolean {
  for (let k = 0; k < lit.length; k++)
    if ((h[at + k] | 0x20) !== lit[k] && h[at + k] !== lit[k]) return false;
  return true;
}

export type ResponseHandler = (status: number, bodyBytes: number, close: boolean) => void;

export class ResponseParser {
  /** Set before each request: the response to a HEAD request has no body. */
  noBody = false;
  /** Bytes received for the current response so far (head included). */
  received = 0;
  /** Heads taken by the byte-identical fast path (diagnostics, tests). */
  headsReused = 0;
  private state = S.Head;
  private partial: Buffer | null = null;
  private status = 0;
  private close = false;
  private remaining = 0;
  private body = 0;
  private chunkSize = 0;
  private lineLen = 0;
  private error: string | null = null;
  /** The last final (>= 200) head parsed, CRLFCRLF included, and what it said. */
  private readonly last = Buffer.allocUnsafe(CACHE_MAX);
  private lastLen = 0;
  private lastStatus = 0;
  private lastLength = -1;
  private lastChunked = false;
  private lastClose = false;

  constructor(private readonly onResponse: ResponseHandler) {}

  /** The parse error that ended the connection, if any. */
  get failed(): string | null {
    return this.error;
  }

  reset(): void {
    this.state = S.Head;
    this.partial = null;
    this.received = 0;
    this.error = null;
  }

  /** Feeds bytes buf[start, end); returns false on a malformed response (close the socket). */
  feed(buf: Buffer, start: number, end: number): boolean {
    this.received += end - start;
    let i = start;
    while (i < end) {
      switch (this.state) {
        case S.Head: {
          i = this.head(buf, i, end);
          if (i < 0) return false;
          break;
        }
        case S.Length: {
          const n = Math.min(this.remaining, end - i);
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.complete();
          break;
        }
        case S.ChunkSize: {
          const c = buf[i++];
          if (c === 0x0a) {
            if (this.chunkSize === 0) {
              this.state = S.Trailer;
              this.lineLen = 0;
            } else {
              this.remaining = this.chunkSize;
              this.body += this.chunkSize;
              this.state = S.ChunkData;
            }
          } else if (this.lineLen >= 0) {
            const d = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
            if (c === 0x3b || c === 0x0d || c === 0x20)
              this.lineLen = -1; // extension / CR: size ended
            else if (d >= 0 && d < 16) this.chunkSize = this.chunkSize * 16 + d;
            else return this.fail('bad chunk size');
          }
          break;
        }
        case S.ChunkData: {
          const n = Math.min(this.remaining, end - i);
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) {
            this.state = S.ChunkCrlf;
            this.remaining = 2;
          }
          break;
        }
        case S.ChunkCrlf: {
          i++;
          if (--this.remaining === 0) {
            this.state = S.ChunkSize;
            this.chunkSize = 0;
            this.lineLen = 0;
          }
          break;
        }
        case S.Trailer: {
          const c = buf[i++];
          if (c === 0x0a) {
            if (this.lineLen === 0) this.complete();
            else this.lineLen = 0;
          } else if (c !== 0x0d) this.lineLen++;
          break;
        }
        case S.UntilClose:
          this.body += end - i;
          i = end;
          break;
      }
    }
    return true;
  }

  /** The connection closed: completes a read-until-close body; true if a response ended. */
  onClose(): boolean {
    if (this.state !== S.UntilClose) return false;
    this.close = true;
    this.complete();
    return true;
  }

  private fail(message: string): boolean {
    this.error = message;
    return false;
  }

  private complete(): void {
    const status = this.status;
    const body = this.body;
    const close = this.close;
    this.state = S.Head;
    this.received = 0;
    this.onResponse(status, body, close);
  }

  /** Parses a head starting at i; returns the index after it (or end when incomplete, -1 on error). */
  private head(buf: Buffer, i: number, end: number): number {
    const n = this.lastLen;
    if (n > 0 && this.partial === null && i + n <= end && buf.compare(this.last, 0, n, i, i + n) === 0) {
      this.headsReused++;
      this.begin(this.lastStatus, this.lastLength, this.lastChunked, this.lastClose);
      return i + n;
    }
    let h = buf;
    let from = i;
    let stop = buf.indexOf(CRLFCRLF, i);
    if (stop < 0 || stop + 4 > end || this.partial !== null) {
      const part = buf.subarray(i, end);
      h = this.partial === null ? Buffer.from(part) : Buffer.concat([this.partial, part]);
      stop = h.indexOf(CRLFCRLF);
      if (stop < 0) {
        if (h.length > 65_536) return this.fail('response head larger than 64 KB') ? end : -1;
        this.partial = h;
        return end;
      }
      const consumed = stop + 4 - (this.partial === null ? 0 : this.partial.length);
      this.partial = null;
      from = 0;
      i += consumed;
    } else {
      i = stop + 4;
    }
    if (!this.parseHead(h, from, stop)) return -1;
    return i;
  }

  private parseHead(h: Buffer, from: number, stop: number): boolean {
    // "HTTP/1.1 200 OK"
    if (stop - from < 12 || h[from] !== 0x48 || h[from + 8] !== 0x20) return this.fail('bad status line');
    const status = (h[from + 9] - 48) * 100 + (h[from + 10] - 48) * 10 + (h[from + 11] - 48);
    if (!(status >= 100 && status <= 999)) return this.fail('bad status code');
    let length = -1;
    let chunked = false;
    let close = h[from + 7] === 0x30; // HTTP/1.0 closes by default
    let line = h.indexOf(0x0a, from) + 1;
    while (line > 0 && line < stop) {
      const eol = h.indexOf(0x0a, line);
      const next = eol < 0 || eol > stop ? stop : eol;
      const c = h[line] | 0x20;
      if (c === 0x63 || c === 0x74) {
        const colon = h.indexOf(0x3a, line);
        const n = colon - line;
        if (colon > 0 && colon < next) {
          let v = colon + 1;
          let e = next;
          while (v < e && (h[v] === 0x20 || h[v] === 0x09)) v++;
          while (e > v && (h[e - 1] === 0x0d || h[e - 1] === 0x20 || h[e - 1] === 0x09)) e--;
          if (n === 14 && eqLower(h, line, CONTENT_LENGTH)) {
            length = 0;
            for (let k = v; k < e; k++) {
              const d = h[k] - 48;
              if (d < 0 || d > 9) return this.fail('bad content-length');
              length = length * 10 + d;
            }
          } else if (n === 17 && eqLower(h, line, TRANSFER_ENCODING)) {
            chunked = e - v >= 7 && eqLower(h, e - 7, CHUNKED);
          } else if (n === 10 && eqLower(h, line, CONNECTION)) {
            if (e - v === 5 && eqLower(h, v, CLOSE)) close = true;
            else if (e - v === 10 && eqLower(h, v, KEEP_ALIVE)) close = false;
          }
        }
      }
      line = next + 1;
    }
    if (status < 200) return true; // interim response: the real one follows
    const n = stop + 4 - from;
    if (n <= CACHE_MAX) {
      h.copy(this.last, 0, from, stop + 4);
      this.lastLen = n;
      this.lastStatus = status;
      this.lastLength = length;
      this.lastChunked = chunked;
      this.lastClose = close;
    } else this.lastLen = 0;
    this.begin(status, length, chunked, close);
    return true;
  }

  /** A final response's head was parsed: frame its body. */
  private begin(status: number, length: number, chunked: boolean, close: boolean): void {
    this.status = status;
    this.close = close;
    this.body = 0;
    if (this.noBody || status === 204 || status === 304) this.complete();
    else if (chunked) {
      this.state = S.ChunkSize;
      this.chunkSize = 0;
      this.lineLen = 0;
    } else if (length >= 0) {
      this.body = length;
      this.remaining = length;
      this.state = S.Length;
      if (length === 0) this.complete();
    } else {
      this.state = S.UntilClose;
    }
  }
}
