import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 (port 0) that records every request and answers as programmed,
 * for tests and benchmarks.
 *
 *   const sink = await startHttpSink();
 *   sink.respond({ status: 503 }, { status: 503 }, { status: 200, body: 'ok' }); // one per request, then the default
 *   ... sink.requests[0].headers['idempotency-key'] ...
 *   await sink.close();
 */
export type SinkRequest = {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Lower-cased names, as Node gives them. */
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
};

/** What to do with one request. */
export type SinkResponse = {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the client must time out). */
  hang?: boolean;
  /** Destroy the connection instead of answering. */
  closeSocket?: boolean;
};

export type HttpSink = {
  url: string;
  port: number;
  requests: SinkRequest[];
  /** Queue answers for the next requests, in order. */
  respond(...responses: SinkResponse[]): void;
  /** The answer once the queue is empty; `{ status: 200, body: 'ok' }` unless changed. */
  setDefault(response: SinkResponse): void;
  /**
   * Answers by request, before the queue: the first router that returns an answer wins (an ERP with
   * several APIs, e.g. GET on-hand and POST usage); undefined falls through to the queue and default.
   * With `record: false`, requests it answers go to `routed` instead of `requests`, so tests that
   * count deliveries do not count these lookups.
   */
  route(router: (req: SinkRequest) => SinkResponse | undefined, options?: { record?: boolean }): void;
  /** Requests answered by a router with `record: false`. */
  routed: SinkRequest[];
  /** Resolves when at least `n` requests have been received. */
  waitForRequests(n: number, timeoutMs?: number): Promise<SinkRequest[]>;
  /** Requests received but not yet answered. */
  inFlight(): number;
  close(): Promise<void>;
};

export async function startHttpSink(): Promise<HttpSink> {
  const requests: SinkRequest[] = [];
  const queue: SinkResponse[] = [];
  let fallback: SinkResponse = { status: 200, body: 'ok' };
  let pending = 0;
  const waiters: Array<() => void> = [];
  const routers: Array<{ router: (req: SinkRequest) => SinkResponse | undefined; record: boolean }> = [];
  const routed: SinkRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: SinkRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      let byRoute: SinkResponse | undefined;
      let record = true;
      for (const r of routers) {
        byRoute = r.router(request);
        if (byRoute) {
          record = r.record;
          break;
        }
      }
      if (byRoute && !record) routed.push(request);
      else requests.push(request);
      for (const w of waiters.splice(0)) w();
      const plan = byRoute ?? queue.shift() ?? fallback;
      pending += 1;
      const answer = (): void => {
        pending -= 1;
        if (plan.closeSocket) {
          req.socket.destroy();
          return;
        }
        res.writeHead(plan.status ?? 200, plan.headers ?? {});
        res.end(plan.body ?? '');
      };
      if (plan.hang) return;
      if (plan.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          answer();
        }, plan.delayMs);
        timers.add(t);
      } else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    respond: (...r) => void queue.push(...r),
    setDefault: (r) => void (fallback = r),
    route: (r, o) => void routers.push({ router: r, record: o?.record ?? true }),
    routed,
    inFlight: () => pending,
    async waitForRequests(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`http sink got ${requests.length} requests; expected ${n} within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
      return requests;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
