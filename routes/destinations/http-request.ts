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

const keepAlive = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * `fetch` for the engine's own lookups (an `enrich` step's GET): the same exchange as a delivery
 * (`httpRequest`) over kept-alive connections, answered as a `Response`. The platform's fetch runs the
 * whole WHATWG fetch algorithm per call, which cost more CPU than the rest of an enrich step; this
 * keeps its contract where the step relies on it: a `TimeoutError` when `init.signal` aborts for time,
 * an error whose `cause.code` names a network failure, any HTTP status as a Response.
 */
export const keepAliveFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
  const signal = init?.signal ?? undefined;
  // the engine's lookups send no body or a string one
  const body = typeof init?.body === 'string' ? Buffer.from(init.body) : Buffer.alloc(0);
  const exchange = httpRequest(url, {
    method: init?.method ?? 'GET',
    headers,
    body,
    agent: url.protocol === 'https:' ? keepAlive.https : keepAlive.http,
    // the caller's signal bounds the exchange; this is only a backstop
    timeoutMs: 10 * 60_000,
    maxResponseBytes: 64 * 1024 * 1024,
    label: `${url.origin}${url.pathname}`,
  });
  const answered = exchange.then(
    (x) =>
      new Response(x.status === 204 || x.status === 304 ? null : x.body.toString('utf8'), {
        status: x.status,
        headers: flatHeaders(x.headers),
      }),
    (err: Error) => {
      throw Object.assign(new TypeError('fetch failed'), { cause: (err as { cause?: unknown }).cause ?? err });
    },
  );
  if (!signal) return answered;
  return new Promise<Response>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    answered.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
};

function flatHeaders(h: http.IncomingHttpHeaders): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([k, one]);
  }
  return out;
}
