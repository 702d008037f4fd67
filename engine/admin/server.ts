import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { Logger } from '../../lib/log.js';
import type { MessageStatus, MessageStore } from '../store/index.js';
import type { X12AdminBackend } from '../x12/admin.js';
import { messageWithoutValues, withoutValues } from '../../lib/phi.js';
import { ConsoleAssets } from './console.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** What the admin API needs from the running engine. */
export type AdminBackend = {
  store: MessageStore;
  channels(): Promise<Array<Record<string, unknown>>>;
  reprocess(messageId: string): Promise<{ ok: boolean; detail: string }>;
  /** Flat files being read now, with their progress. */
  files?(channel?: string): Array<Record<string, unknown>>;
  health(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  status(): Promise<Record<string, unknown>>;
  /** Prometheus text exposition (`GET /metrics`, docs/metrics.md). */
  metrics?(): Promise<string>;
  /** X12 partners and overdue acknowledgments; absent: those endpoints answer 404. */
  x12?: X12AdminBackend;
  /** More endpoints, from a part of the engine that owns them (lineage and reconciliation). */
  routes?: AdminRoute[];
};

export type Handler = (req: IncomingMessage, url: URL, params: string[]) => Promise<[number, unknown]>;
export type AdminRoute = { method: string; pattern: RegExp; handler: Handler };

/** A response that is not JSON (a CSV report): sent as is with its content type. */
export class TextResponse {
  constructor(
    readonly contentType: string,
    readonly text: string,
    readonly filename?: string,
  ) {}
}

const STATUSES: readonly string[] = ['received', 'rejected', 'duplicate', 'filtered', 'error', 'routed', 'delivered', 'failed'];

/**
 * The admin HTTP API. Every `/api` request needs `Authorization: Bearer <token>`; `/healthz` answers
 * without it and says only whether the engine is healthy. Responses are JSON; errors are
 * `{ error: { code, message } }`.
 */
export class AdminServer {
  private readonly server: Server;
  private readonly routes: AdminRoute[];
  private readonly console = new ConsoleAssets();
  private readonly metricsFrom: BlockList | undefined;

  constructor(
    private readonly backend: AdminBackend,
    private readonly token: string,
    private readonly log: Logger,
    /** Addresses that may scrape `/metrics` without the token (`admin.metricsFrom`). */
    metricsFrom: readonly string[] = [],
  ) {
    this.metricsFrom = addressList(metricsFrom);
    this.routes = [
      { method: 'GET', pattern: /^\/api\/engine$/, handler: async () => [200, await backend.status()] },
      { method: 'GET', pattern: /^\/api\/channels$/, handler: async () => [200, { channels: await backend.channels() }] },
      { method: 'GET', pattern: /^\/api\/messages$/, handler: (_r, url) => this.listMessages(url) },
      { method: 'GET', pattern: /^\/api\/messages\/([0-9a-f-]{36})$/, handler: (_r, _u, p) => this.getMessage(p[0]!) },
      { method: 'POST', pattern: /^\/api\/messages\/([0-9a-f-]{36})\/reprocess$/, handler: (_r, _u, p) => this.reprocess(p[0]!) },
      { method: 'GET', pattern: /^\/api\/exceptions$/, handler: (_r, url) => this.listExceptions(url) },
      { method: 'POST', pattern: /^\/api\/exceptions\/reprocess$/, handler: (_r, url) => this.reprocessExceptions(url) },
      { method: 'GET', pattern: /^\/api\/files$/, handler: (_r, url) => this.listFiles(url) },
      {
        method: 'GET',
        pattern: /^\/api\/acks\/overdue$/,
        handler: async () =>
          backend.x12
            ? [200, { overdue: await backend.x12.overdue() }]
            : [404, error('x12-not-configured', 'this engine has no X12 ledger')],
      },
      {
        method: 'GET',
        pattern: /^\/api\/partners\/([a-z0-9-]{1,64})\/exchanges$/,
        handler: async (_r, _u, p) => {
          const list = await backend.x12?.exchanges(p[0]!);
          return list ? [200, { partner: p[0], exchanges: list }] : [404, error('not-found', `no partner ${p[0]}`)];
        },
      },
      {
        method: 'GET',
        pattern: /^\/api\/partners$/,
        handler: async () => [200, { partners: backend.x12 ? await backend.x12.partners() : [] }],
      },
      ...(backend.routes ?? []),
    ];
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address() as { address: string; port: number };
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin');
    } catch {
      return send(res, 400, error('bad-request', 'the request target is not a valid path'));
    }
    try {
      if (url.pathname === '/healthz' && req.method === 'GET') {
        const h = await this.backend.health();
        return send(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'degraded', checks: h.checks });
      }
      if (this.console.handles(url.pathname)) return this.console.serve(req, res, url.pathname);
      const metrics = url.pathname === '/metrics';
      if (!url.pathname.startsWith('/api/') && !metrics) return send(res, 404, error('not-found', `no such path ${url.pathname}`));
      if (!this.authorized(req) && !(metrics && this.metricsFrom?.check(...peer(req))))
        return send(res, 401, error('unauthorized', 'missing or wrong bearer token'), { 'WWW-Authenticate': 'Bearer' });
      if (metrics)
        return sendText(
          res,
          req.method === 'GET' ? 200 : 405,
          req.method === 'GET' ? ((await (this.backend.metrics ?? this.backend.x12?.metrics)?.()) ?? '') : 'use GET\n',
        );
      const matching = this.routes.filter((r) => r.pattern.test(url.pathname));
      if (matching.length === 0) return send(res, 404, error('not-found', `no such path ${url.pathname}`));
      const route = matching.find((r) => r.method === req.method);
      if (!route) {
        const allowed = matching.map((r) => r.method).join(', ');
        return send(res, 405, error('method-not-allowed', `${req.method} is not allowed on ${url.pathname}; use ${allowed}`), {
          Allow: allowed,
        });
      }
      const [status, body] = await route.handler(req, url, route.pattern.exec(url.pathname)!.slice(1));
      if (body instanceof TextResponse) return sendRaw(res, status, body);
      send(res, status, body);
    } catch (err) {
      this.log.error({ path: url.pathname, err: withoutValues((err as Error).message ?? '') }, 'admin request failed');
      send(res, 500, error('internal-error', 'the request failed; see the engine log'));
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const given = Buffer.from(m[1]!);
    const want = Buffer.from(this.token);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private async listMessages(url: URL): Promise<[number, unknown]> {
    const status = url.searchParams.get('status') ?? undefined;
    if (status && !STATUSES.includes(status))
      return [400, error('invalid-status', `status ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}`)];
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return [400, error('invalid-limit', `limit ${JSON.stringify(limitText)} is not a whole number from 1 to 1000`)];
    const messages = await this.backend.store.listMessages({
      channel: url.searchParams.get('channel') ?? undefined,
      status: status as MessageStatus | undefined,
      controlId: url.searchParams.get('controlId') ?? undefined,
      before: url.searchParams.get('before') ?? undefined,
      limit,
    });
    // A list is not the place for patient data: values stay in the detail view (lib/phi.ts).
    return [200, { messages: messages.map(messageWithoutValues) }];
  }

  private async listExceptions(url: URL): Promise<[number, unknown]> {
    const limit = limitOf(url);
    if (typeof limit === 'string') return [400, error('invalid-limit', limit)];
    const exceptions = await this.backend.store.listExceptions({
      channel: url.searchParams.get('channel') ?? undefined,
      reason: url.searchParams.get('reason') ?? undefined,
      before: url.searchParams.get('before') ?? undefined,
      limit,
    });
    return [200, { exceptions: exceptions.map((m) => ({ ...m, reason: m.error?.rule ?? m.error?.code })) }];
  }

  /**
   * Reprocesses the exception queue after a fix (a table row added): one message (`id=`), or every
   * message of a channel, optionally only those that failed one rule (`channel=&reason=`). Each runs
   * again through the current configuration and tables; deliveries already made are never repeated.
   */
  private async reprocessExceptions(url: URL): Promise<[number, unknown]> {
    const id = url.searchParams.get('id');
    const channel = url.searchParams.get('channel') ?? undefined;
    const reason = url.searchParams.get('reason') ?? undefined;
    if (!id && !channel)
      return [
        400,
        error('missing-selection', 'name the messages to reprocess: id=<message id>, or channel=<channel> (and optionally reason=<rule>)'),
      ];
    const ids = id ? [id] : [];
    if (!id) {
      for (let before: string | undefined; ;) {
        const page = await this.backend.store.listExceptions({ channel, reason, limit: 1000, before });
        ids.push(...page.map((m) => m.id));
        if (page.length < 1000) break;
        before = page[page.length - 1]!.id;
      }
    }
    const results = [];
    for (const mid of ids) results.push({ messageId: mid, ...(await this.backend.reprocess(mid)) });
    const queued = results.filter((r) => r.ok).length;
    return [queued > 0 || ids.length === 0 ? 202 : 409, { queued, refused: results.length - queued, results }];
  }

  private async listFiles(url: URL): Promise<[number, unknown]> {
    const channel = url.searchParams.get('channel') ?? undefined;
    const limit = limitOf(url);
    if (typeof limit === 'string') return [400, error('invalid-limit', limit)];
    return [200, { reading: this.backend.files?.(channel) ?? [], recent: await this.backend.store.listFileSummaries({ channel, limit }) }];
  }

  private async getMessage(id: string): Promise<[number, unknown]> {
    const m = await this.backend.store.getMessage(id);
    if (!m) return [404, error('message-not-found', `no message ${id}`)];
    const { raw, ...rest } = m;
    return [200, { ...rest, raw: { base64: raw.toString('base64'), text: raw.toString('latin1'), bytes: raw.length } }];
  }

  private async reprocess(id: string): Promise<[number, unknown]> {
    const r = await this.backend.reprocess(id);
    return r.ok ? [202, { messageId: id, detail: r.detail }] : [409, error('not-reprocessable', r.detail)];
  }
}

/** The addresses and CIDR ranges of `admin.metricsFrom` (validated by the engine schema). */
function addressList(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const e of entries) {
    const [address, bits] = e.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** The requesting peer's address, an IPv4-mapped IPv6 address as IPv4. */
function peer(req: IncomingMessage): [string, 'ipv4' | 'ipv6'] {
  const a = req.socket.remoteAddress ?? '';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)?.[1];
  return v4 ? [v4, 'ipv4'] : [a, isIP(a) === 6 ? 'ipv6' : 'ipv4'];
}

/** The `limit` query parameter (default 50), or why it is wrong. */
function limitOf(url: URL): number | string {
  const text = url.searchParams.get('limit');
  const limit = text === null ? 50 : Number(text);
  return Number.isInteger(limit) && limit >= 1 && limit <= 1000
    ? limit
    : `limit ${JSON.stringify(text)} is not a whole number from 1 to 1000`;
}

function error(code: ErrorCode, message: string) {
  return { error: { code, message } };
}

function sendRaw(res: ServerResponse, status: number, body: TextResponse): void {
  res.writeHead(status, {
    'Content-Type': body.contentType,
    'Content-Length': Buffer.byteLength(body.text),
    'Cache-Control': 'no-store',
    ...(body.filename ? { 'Content-Disposition': `attachment; filename="${body.filename}"` } : {}),
  });
  res.end(body.text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}
