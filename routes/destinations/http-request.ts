import * as http from 'node:http';
import * as https from 'node:https';
import { TransientDeliveryError } from '../../lib/errors.js';

/** What came back from one HTTP exchange. The body is cut at `maxResponseBytes`. */
export type HttpExchange = {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  truncated: boolean;
};

export type HttpRequestOptions = {
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  agent: http.Agent;
  /** Whole exchange, connect to last byte. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** The URL as it may appear in messages (no credentials, no query). */
  label: string;
};

/**
 * Performs one HTTP exchange. Resolves with whatever status the server answered; rejects with a
 * TransientDeliveryError when no complete answer came (`http-timeout`, `http-network-error`).
 */
export function httpRequest(url: URL, opts: HttpRequestOptions): Promise<HttpExchange> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    let settled = false;
    let timedOut = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = mod.request(url, { method: opts.method, headers: opts.headers, agent: opts.agent });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      finish(() => reject(networkError(opts, err, timedOut)));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = (): void =>
        finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated }));
      res.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = opts.maxResponseBytes - size;
        if (chunk.length > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          size = opts.maxResponseBytes;
          truncated = true;
          // The status is known; the rest of the body is not wanted. Drop the connection.
          res.destroy();
          done();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', done);
      res.on('error', (err: NodeJS.ErrnoException) => finish(() => reject(networkError(opts, err, timedOut))));
      res.on('close', () => {
        if (!res.complete && !truncated)
          finish(() => reject(networkError(opts, Object.assign(new Error('response cut short'), { code: 'ECONNRESET' }), timedOut)));
      });
    });
    req.end(opts.body);
  });
}

function networkError(opts: HttpRequestOptions, err: NodeJS.ErrnoException, timedOut: boolean): TransientDeliveryError {
  if (timedOut) {
    return new TransientDeliveryError('http-timeout', `${opts.method} ${opts.label} gave no complete answer within ${opts.timeoutMs} ms`, {
      cause: err,
    });
  }
  const code = err.code ?? err.name;
  return new TransientDeliveryError('http-network-error', `${opts.method} ${opts.label} failed: ${code}; expected an HTTP answer`, {
    cause: err,
  });
}
