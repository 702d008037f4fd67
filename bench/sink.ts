/**
 * The ERP stand-in for the end-to-end figure: an HTTP server on 127.0.0.1 that answers 200 to every
 * request and keeps only, per body `reference` (the MSH-10 the channel copies there), when the first
 * POST for it arrived. Unlike test/support/http-sink.ts it keeps no bodies, so it stays small.
 * It answers the OR channel's on-hand question (GET /inventory/on-hand) with `onHand`, by default 2,
 * so every usage also takes its items below their reorder point and raises a replenishment 850.
 * A POST under `/fhir` is answered as a FHIR server accepting every entry of a transaction Bundle
 * (the sustained bench points the billing route there).
 * `Refusals` make it the ERP and billing server of a generated month (bench/reconcile/daemon.ts):
 * it refuses (422) the usage postings and the charge transactions the month marks refused, and books
 * some charges with another quantity or account than the engine sent (answered in the entry's
 * `resource`, as a server returning what it stored would).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { forkServer } from './child-server.js';

export type CountingSink = {
  url: string;
  /** Requests received (retries included). */
  requests(): number;
  /** First arrival (performance.now()) per reference. */
  arrivals: Map<string, number>;
  close(): Promise<void>;
};

const REFERENCE = /"reference"\s*:\s*"([^"]*)"/;

/** What the sink refuses or books otherwise: usage references (the ERP), ChargeItem identifiers (billing). */
export type Refusals = {
  /** `reference` of the usage postings (POST /inventory/usage) answered 422. */
  usage?: string[];
  /** ChargeItem identifiers: a transaction holding one is answered 422 as a whole. */
  charges?: string[];
  /** ChargeItem identifiers booked with another quantity or account than the one sent. */
  altered?: Record<string, { quantity?: number; account?: string }>;
};

type ChargeEntry = { resource?: { identifier?: Array<{ value?: string }>; quantity?: { value?: number }; account?: unknown } };

/** Arrivals as a child process reports them: epoch milliseconds (`performance.timeOrigin + now()`). */
type SinkReport = { type: 'listening'; url: string } | { type: 'arrivals'; requests: number; arrivals: Array<[string, number]> };

/**
 * The same sink in a process of its own, so that under load its answers never wait behind the load
 * generator's sends (one event loop for both made the sink the bottleneck of the figure it measured).
 * Arrival times come back every 50 ms in this process's `performance.now()` time base.
 */
export async function startCountingSinkProcess(onHand = 2, refusals: Refusals = {}): Promise<CountingSink> {
  const arrivals = new Map<string, number>();
  let requests = 0;
  const script = new URL(import.meta.url.endsWith('.ts') ? './sink-process.ts' : './sink-process.js', import.meta.url);
  const server = await forkServer<Extract<SinkReport, { type: 'listening' }>, Extract<SinkReport, { type: 'arrivals' }>>(
    script,
    [String(onHand), JSON.stringify(refusals)],
    'the sink process',
    (m) => {
      requests = m.requests;
      for (const [ref, epoch] of m.arrivals) if (!arrivals.has(ref)) arrivals.set(ref, epoch - performance.timeOrigin);
    },
  );
  return { url: server.listening.url, requests: () => requests, arrivals, close: server.close };
}

/** Runs in the sink process (bench/sink-process.ts): serves, and reports arrivals to the parent. */
export async function serveSinkForParent(onHand: number, refusals: Refusals = {}): Promise<void> {
  const sink = await startCountingSink(onHand, refusals);
  let sent = 0;
  const pending: Array<[string, number]> = [];
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const [ref, at] of sink.arrivals) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      pending.push([ref, performance.timeOrigin + at]);
    }
    if (pending.length === 0 && sent === sink.requests()) return;
    sent = sink.requests();
    process.send!({ type: 'arrivals', requests: sent, arrivals: pending.splice(0) } satisfies SinkReport);
  }, 50);
  process.send!({ type: 'listening', url: sink.url } satisfies SinkReport);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void sink.close().then(() => process.exit(0));
  });
  process.once('disconnect', () => process.exit(0));
}

export async function startCountingSink(onHand = 2, refusals: Refusals = {}): Promise<CountingSink> {
  let requests = 0;
  const refusedUsage = new Set(refusals.usage ?? []);
  const refusedCharges = new Set(refusals.charges ?? []);
  const altered = new Map(Object.entries(refusals.altered ?? {}));
  const checksCharges = refusedCharges.size > 0 || altered.size > 0;
  const arrivals = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.startsWith('/inventory/on-hand')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`{"onHand":${onHand}}`);
        return;
      }
      if (req.method === 'POST' && req.url?.startsWith('/fhir')) {
        // a billing FHIR server that accepts every entry of a transaction (the sustained bench's FHIR_URL)
        const text = Buffer.concat(chunks).toString('utf8');
        if (!checksCharges) {
          const entries = text.split('"ifNoneExist"').length - 1;
          res.writeHead(200, { 'Content-Type': 'application/fhir+json' });
          res.end(
            JSON.stringify({
              resourceType: 'Bundle',
              type: 'transaction-response',
              entry: Array.from({ length: entries }, () => ({ response: { status: '201 Created' } })),
            }),
          );
          return;
        }
        const entries = ((JSON.parse(text) as { entry?: ChargeEntry[] }).entry ?? []).map((e) => e.resource ?? {});
        const idOf = (r: NonNullable<ChargeEntry['resource']>) => r.identifier?.[0]?.value ?? '';
        const refused = entries.map(idOf).find((id) => refusedCharges.has(id));
        if (refused !== undefined) {
          res.writeHead(422, { 'Content-Type': 'application/fhir+json' });
          res.end(
            JSON.stringify({
              resourceType: 'OperationOutcome',
              issue: [{ severity: 'error', code: 'business-rule', diagnostics: `ChargeItem ${refused}: account closed for billing` }],
            }),
          );
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/fhir+json' });
        res.end(
          JSON.stringify({
            resourceType: 'Bundle',
            type: 'transaction-response',
            entry: entries.map((r) => {
              const change = altered.get(idOf(r));
              if (!change) return { response: { status: '201 Created' } };
              const booked = {
                ...r,
                ...(change.quantity !== undefined ? { quantity: { value: change.quantity } } : {}),
                ...(change.account !== undefined ? { account: [{ identifier: { value: change.account } }] } : {}),
              };
              return { resource: booked, response: { status: '201 Created' } };
            }),
          }),
        );
        return;
      }
      requests += 1;
      const at = performance.now();
      const ref = REFERENCE.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
      if (ref !== undefined && refusedUsage.has(ref) && req.url?.startsWith('/inventory/usage')) {
        res.writeHead(422, { 'Content-Type': 'application/json' });
        res.end('{"error":"posting period closed for this location"}');
        return;
      }
      if (ref !== undefined && !arrivals.has(ref)) arrivals.set(ref, at);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
