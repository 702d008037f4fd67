import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { ADMIN_LIMITS, AddressLimiter, guardHttpServer, LISTENER_DEFAULTS, type AdminLimits } from '../../lib/listener-guard.js';
import type { MessageStatus, Store } from '../store/index.js';
import type { X12AdminBackend } from '../x12/admin.js';
import type { RunningConfig } from '../runtime/running-config.js';
import { fileSummaryWithoutValues, messageWithoutValues, withoutValues } from '../../lib/phi.js';
import { accountRoutes, sessionView } from './accounts.js';
import { addressOf, Authenticator, can, inScope, scopeOf, type Principal } from './auth.js';
import { ConsoleAssets } from './console.js';
import { error, limitOf, readJson, send, sendRaw, sendText, TextResponse, type AdminRoute } from './http.js';
import { messageDetailFor } from './message-view.js';
import type { OidcLogin } from './oidc.js';

export { TextResponse, type AdminRoute, type Handler } from './http.js';

/** What the admin API needs from the running engine. */
export type AdminBackend = {
  store: Store;
  channels(): Promise<Array<Record<string, unknown>>>;
  reprocess(messageId: string): Promise<{ ok: boolean; detail: string }>;
  /** Retries one dead-lettered delivery (absent: `POST /api/deliveries/:id/retry` answers 404). */
  retryDelivery?(deliveryId: string): Promise<{ ok: boolean; detail: string }>;
  /** An operator stops or starts a channel (absent: those endpoints answer 404). */
  controlChannel?(name: string, action: 'start' | 'stop', by: string): Promise<{ status: number; state: string; detail: string }>;
  /** Hot reload of one channel from its file (absent: 404). */
  reloadChannel?(name: string, by: string): Promise<{ status: number; detail: string; diagnostics?: string[] }>;
  /** The running configuration as written (`GET /api/config`, engine/runtime/running-config.ts; absent: 404). */
  runningConfig?(): Promise<RunningConfig>;
  /** Alerts firing now (`GET /api/alerts`, docs/alerts.md). */
  alerts?(): Array<Record<string, unknown>>;
  /** Flat files being read now, with their progress. */
  files?(channel?: string): Array<Record<string, unknown>>;
  health(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  status(): Promise<Record<string, unknown>>;
  /** Prometheus text exposition (`GET /metrics`, docs/metrics.md). */
  metrics?(): Promise<string>;
  /** Dry-run replay through a proposed configuration (`POST /api/replay`, engine/admin/replay-api.ts). */
  replay?(body: unknown): Promise<[number, unknown]>;
  /** Sign-in through the hospital's identity provider (`admin.oidc`, oidc.ts); absent: `/api/oidc/*` answer 404. */
  oidc?: OidcLogin;
  /** X12 partners and overdue acknowledgments; absent: those endpoints answer 404. */
  x12?: X12AdminBackend;
  /** More endpoints, from a part of the engine that owns them (lineage and reconciliation). */
  routes?: AdminRoute[];
};

const STATUSES: readonly string[] = ['received', 'rejected', 'duplicate', 'filtered', 'error', 'routed', 'delivered', 'failed'];

/**
 * The admin HTTP API. Every `/api` request needs a credential (ADR 0013): the session cookie of a
 * signed-in user (`POST /api/session`), with the session's `X-CSRF-Token` on every request that
 * changes state, or `Authorization: Bearer` with an API token or the engine's admin token. Each route
 * names the permission it needs; actions and views of message content go to the audit log.
 * `/healthz` answers without a credential and says only whether the engine is healthy. Responses
 * are JSON; errors are `{ error: { code, message } }`.
 */
export class AdminServer {
  private readonly server: Server;
  private readonly routes: AdminRoute[];
  private readonly console = new ConsoleAssets();
  private readonly metricsFrom: BlockList | undefined;
  private readonly auth: Authenticator;
  private readonly requests: AddressLimiter;

  constructor(
    private readonly backend: AdminBackend,
    token: string,
    private readonly log: Logger,
    /** Addresses that may scrape `/metrics` without the token (`admin.metricsFrom`). */
    metricsFrom: readonly string[] = [],
    /** Connection and request limits (`admin.maxConnections`, `maxConnectionsPerAddress`, `maxRequestsPerAddress`). */
    limits: AdminLimits = ADMIN_LIMITS,
  ) {
    this.requests = new AddressLimiter(limits.maxRequestsPerAddress);
    this.metricsFrom = addressList(metricsFrom);
    this.auth = new Authenticator(backend.store, token);
    this.routes = [
      { method: 'GET', pattern: /^\/api\/engine$/, need: 'read', handler: async () => [200, await backend.status()] },
      {
        method: 'GET',
        pattern: /^\/api\/channels$/,
        need: 'read',
        handler: async (_r, _u, _p, who) => [200, { channels: await this.channels(who) }],
      },
      ...(['stop', 'start'] as const).map((action): AdminRoute => ({
        method: 'POST',
        pattern: new RegExp(`^/api/channels/([a-z0-9][a-z0-9-]*)/${action}$`),
        need: 'control',
        audit: `channel.${action}`,
        handler: (_r, _u, p, who) => this.controlChannel(p[0]!, action, who),
      })),
      {
        method: 'POST',
        pattern: /^\/api\/channels\/([a-z0-9][a-z0-9-]*)\/reload$/,
        audit: 'channel.reload',
        handler: async (_r, _u, p, who) => {
          if (!this.backend.reloadChannel) return [404, error('not-found', 'this engine cannot reload channels')];
          const r = await this.backend.reloadChannel(p[0]!, who.name);
          if (r.status === 200) return [200, { channel: p[0], detail: r.detail }];
          if (r.status === 404) return [404, error('channel-not-found', r.detail)];
          if (r.status === 400) return [400, { ...error('reload-refused', r.detail), diagnostics: r.diagnostics }];
          return [r.status, error('reload-not-applied', r.detail)];
        },
      },
      {
        // admins only: engine.yaml may hold the admin token or hosts written as they are
        method: 'GET',
        pattern: /^\/api\/config$/,
        handler: async () =>
          backend.runningConfig
            ? [200, await backend.runningConfig()]
            : [404, error('not-found', 'this engine does not report its configuration')],
      },
      { method: 'GET', pattern: /^\/api\/messages$/, need: 'read', handler: (_r, url, _p, who) => this.listMessages(url, who) },
      {
        method: 'GET',
        pattern: /^\/api\/messages\/([0-9a-f-]{36})$/,
        need: 'read',
        audit: 'message.view',
        handler: (_r, _u, p, who) => this.getMessage(p[0]!, who),
      },
      {
        method: 'POST',
        pattern: /^\/api\/messages\/([0-9a-f-]{36})\/reprocess$/,
        need: 'reprocess',
        audit: 'message.reprocess',
        handler: (_r, _u, p, who) => this.reprocess(p[0]!, who),
      },
      {
        method: 'POST',
        pattern: /^\/api\/messages\/([0-9a-f-]{36})\/resolve$/,
        need: 'resolve',
        audit: 'exception.resolve',
        handler: (req, _u, p, who) => this.resolve(req, p[0]!, who),
      },
      {
        method: 'POST',
        pattern: /^\/api\/deliveries\/([0-9a-f-]{36}:[a-z0-9-]+)\/retry$/,
        need: 'retry',
        audit: 'delivery.retry',
        handler: (_r, _u, p, who) => this.retryDelivery(p[0]!, who),
      },
      { method: 'GET', pattern: /^\/api\/exceptions$/, need: 'read', handler: (_r, url, _p, who) => this.listExceptions(url, who) },
      {
        method: 'POST',
        pattern: /^\/api\/exceptions\/reprocess$/,
        need: 'reprocess',
        audit: 'exception.reprocess',
        handler: (_r, url, _p, who) => this.reprocessExceptions(url, who),
      },
      { method: 'GET', pattern: /^\/api\/files$/, need: 'read', handler: (_r, url, _p, who) => this.listFiles(url, who) },
      {
        method: 'GET',
        pattern: /^\/api\/alerts$/,
        need: 'read',
        handler: async (_r, _u, _p, who) => [
          200,
          { alerts: (backend.alerts?.() ?? []).filter((a) => a.when !== 'channel-errors' || inScope(who, String(a.subject))) },
        ],
      },
      { method: 'GET', pattern: /^\/api\/arrivals$/, need: 'read', handler: (_r, _u, _p, who) => this.arrivals(who) },
      {
        method: 'POST',
        pattern: /^\/api\/replay$/,
        need: 'phi',
        audit: 'config.replay',
        handler: async (req) => {
          if (!this.backend.replay) return [404, error('not-found', 'this engine has no replay')];
          const body = await readJson(req, MAX_PROPOSAL_BYTES);
          return typeof body === 'string' ? [400, error('invalid-request-body', body)] : this.backend.replay(body);
        },
      },
      {
        method: 'GET',
        pattern: /^\/api\/acks\/overdue$/,
        need: 'read',
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
        need: 'read',
        handler: async () => [200, { partners: backend.x12 ? await backend.x12.partners() : [] }],
      },
      ...accountRoutes(backend.store),
      ...(backend.routes ?? []),
    ];
    this.server = createServer((req, res) => this.admit(req, res));
    // the same guard as the message listeners: connections per address, reading paused while answers pile up
    this.server.maxConnections = limits.maxConnections;
    this.server.on('drop', () => log.warn({ limit: limits.maxConnections }, 'admin connection refused: too many connections'));
    guardHttpServer(this.server, { ...LISTENER_DEFAULTS, maxConnectionsPerAddress: limits.maxConnectionsPerAddress, log, name: 'admin' });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'another process holds it' : (err.code ?? 'error');
        reject(
          new ConfigError(
            'admin-listen-failed',
            `the admin API cannot listen on ${host}:${port} (${why}); expected a free port: set admin.port in engine.yaml (or ADMIN_PORT in the shipped one)`,
            { cause: err },
          ),
        );
      });
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

  /**
   * One client address may have `maxRequestsPerAddress` requests in progress at once; beyond that the
   * request is answered 429 with Retry-After before any work (no store query, no password hash).
   */
  private admit(req: IncomingMessage, res: ServerResponse): void {
    const address = req.socket.remoteAddress;
    if (!this.requests.acquire(address)) {
      this.log.warn({ limit: this.requests.limit }, 'admin request refused: too many requests in progress from one address');
      send(
        res,
        429,
        error('too-many-requests', `too many requests in progress from your address (at most ${this.requests.limit}); try again shortly`),
        { 'Retry-After': '1' },
      );
      return;
    }
    res.once('close', () => this.requests.release(address));
    void this.handle(req, res);
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
      if (url.pathname === '/api/session' && req.method === 'POST') return await this.login(req, res);
      if (url.pathname.startsWith('/api/oidc') && req.method === 'GET') return await this.oidc(req, res, url);
      const who = await this.auth.authenticate(req);
      if (!who && !(metrics && this.metricsFrom?.check(...peer(req))))
        return send(res, 401, error('unauthorized', 'sign in, or send a valid bearer token'), { 'WWW-Authenticate': 'Bearer' });
      if (metrics)
        return sendText(
          res,
          req.method === 'GET' ? 200 : 405,
          req.method === 'GET' ? ((await (this.backend.metrics ?? this.backend.x12?.metrics)?.()) ?? '') : 'use GET\n',
        );
      if (!who) return send(res, 401, error('unauthorized', 'sign in, or send a valid bearer token'), { 'WWW-Authenticate': 'Bearer' });
      if (url.pathname === '/api/session' && req.method === 'DELETE') return await this.logout(req, res, who);
      const matching = this.routes.filter((r) => r.pattern.test(url.pathname));
      if (matching.length === 0) {
        // An id of the wrong shape is a message that does not exist, not a path that does not.
        const m = /^\/api\/messages\/([^/]+)(?:\/(?:reprocess|resolve))?$/.exec(url.pathname);
        if (m)
          return send(
            res,
            404,
            error(
              'message-not-found',
              `no message with id ${JSON.stringify(safeDecode(m[1]!))}; message ids are UUIDs as GET /api/messages lists them`,
            ),
          );
        return send(res, 404, error('not-found', `no such path ${url.pathname}`));
      }
      const route = matching.find((r) => r.method === req.method);
      if (!route) {
        const allowed = matching.map((r) => r.method).join(', ');
        return send(res, 405, error('method-not-allowed', `${req.method} is not allowed on ${url.pathname}; use ${allowed}`), {
          Allow: allowed,
        });
      }
      const params = route.pattern.exec(url.pathname)!.slice(1);
      const [status, body] = await this.guarded(req, url, route, params, who);
      const action = route.audit ?? (req.method === 'GET' ? undefined : `${req.method} ${url.pathname}`);
      if (action) await this.audit(req, who, action, status, params[0] ?? url.search.slice(1));
      if (body instanceof TextResponse) return sendRaw(res, status, body);
      send(res, status, body);
    } catch (err) {
      this.log.error({ path: url.pathname, err: withoutValues((err as Error).message ?? '') }, 'admin request failed');
      send(res, 500, error('internal-error', 'the request failed; see the engine log'));
    }
  }

  /** Runs a route once the caller is known: its permission, then (cookie sessions) the CSRF token. */
  private async guarded(req: IncomingMessage, url: URL, route: AdminRoute, params: string[], who: Principal): Promise<[number, unknown]> {
    const need = route.need ?? 'admin';
    if (!can(who, need)) return [403, error('forbidden', `the ${who.role} role may not do this (it needs the ${need} permission)`)];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const csrf = this.auth.csrfProblem(req, who);
      if (csrf) return [403, error('csrf-refused', `refused: ${csrf}`)];
    }
    return route.handler(req, url, params, who);
  }

  private async audit(
    req: IncomingMessage,
    who: Principal | { name: string; kind: 'anonymous' },
    action: string,
    outcome: number,
    target?: string,
    detail?: string,
  ) {
    await this.backend.store.appendAudit({
      actor: who.name,
      actorKind: who.kind,
      ...('role' in who ? { role: who.role } : {}),
      action,
      ...(target ? { target: target.slice(0, 500) } : {}),
      ...(detail ? { detail: detail.slice(0, 500) } : {}),
      address: addressOf(req),
      outcome,
    });
  }

  /** `POST /api/session` with `{ user, password }`: opens a session (cookie) and answers who it is for, with its CSRF token. */
  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return send(res, 415, error('unsupported-media-type', 'sign in with a JSON body { "user": …, "password": … }'));
    const body = await readJson(req);
    if (typeof body === 'string') return send(res, 400, error('invalid-request-body', body));
    if (typeof body.user !== 'string' || typeof body.password !== 'string' || body.user === '')
      return send(res, 400, error('invalid-request-body', 'sign in with { "user": …, "password": … }'));
    const r = await this.auth.login(req, body.user, body.password);
    const status = r.ok ? 200 : r.retryAfter ? 429 : 401;
    await this.audit(
      req,
      r.ok ? r.principal : { name: body.user.slice(0, 64), kind: 'anonymous' },
      r.ok ? 'login' : 'login.refused',
      status,
    );
    if (r.ok) return send(res, 200, sessionView(r.principal), { 'Set-Cookie': r.setCookie });
    if (r.retryAfter)
      return send(res, 429, error('too-many-attempts', `too many failed sign-ins; try again in ${r.retryAfter} s`), {
        'Retry-After': String(r.retryAfter),
      });
    send(res, 401, error('sign-in-refused', 'that user name and password do not match'));
  }

  /**
   * Sign-in through the identity provider (oidc.ts): `GET /api/oidc` says whether it is offered and
   * how the button reads; `GET /api/oidc/login` sends the browser to the provider; the provider sends
   * it back to `GET /api/oidc/callback`, which opens a session and sends the browser to the console,
   * or back to the sign-in page with the reason in one sentence. Both outcomes are audited.
   */
  private async oidc(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const oidc = this.backend.oidc;
    if (!oidc) return send(res, 404, error('not-found', 'this engine offers no single sign-on (admin.oidc in engine.yaml)'));
    const toLogin = (reason: string, cookies: string[]) => {
      res.writeHead(303, {
        Location: `/console/#/login?error=${encodeURIComponent(reason)}`,
        'Set-Cookie': cookies,
        'Cache-Control': 'no-store',
      });
      res.end();
    };
    if (url.pathname === '/api/oidc') return send(res, 200, { label: oidc.settings.label, login: '/api/oidc/login' });
    if (url.pathname === '/api/oidc/login') {
      let begun;
      try {
        begun = await oidc.begin(req);
      } catch (err) {
        const reason = `the identity provider at ${oidc.settings.issuer} cannot be reached or described (${(err as Error).message.slice(0, 200)})`;
        this.log.error({ issuer: oidc.settings.issuer, err: (err as Error).message }, 'identity provider unavailable');
        return toLogin(reason, []);
      }
      res.writeHead(302, { Location: begun.location, 'Set-Cookie': begun.setCookie, 'Cache-Control': 'no-store' });
      return void res.end();
    }
    if (url.pathname !== '/api/oidc/callback') return send(res, 404, error('not-found', `no such path ${url.pathname}`));
    const clear = oidc.clearCookie(req);
    const r = await oidc.finish(req, url);
    const signed = r.ok ? await this.auth.oidcLogin(req, r.identity) : r;
    if (!signed.ok) {
      const name = r.ok ? r.identity.name : (r.name ?? 'oidc');
      await this.audit(req, { name, kind: 'anonymous' }, 'login.refused', 401, 'oidc', signed.reason);
      return toLogin(signed.reason, [clear]);
    }
    await this.audit(req, signed.principal, 'login', 200, 'oidc');
    res.writeHead(303, { Location: '/console/#/dashboard', 'Set-Cookie': [signed.setCookie, clear], 'Cache-Control': 'no-store' });
    res.end();
  }

  private async logout(req: IncomingMessage, res: ServerResponse, who: Principal): Promise<void> {
    const csrf = this.auth.csrfProblem(req, who);
    await this.audit(req, who, 'logout', csrf ? 403 : 200);
    if (csrf) return send(res, 403, error('csrf-refused', `refused: ${csrf}`));
    send(res, 200, { signedOut: true }, { 'Set-Cookie': await this.auth.logout(who) });
  }

  private async channels(who: Principal): Promise<Array<Record<string, unknown>>> {
    return (await this.backend.channels()).filter((c) => inScope(who, String(c.name)));
  }

  private async controlChannel(name: string, action: 'start' | 'stop', who: Principal): Promise<[number, unknown]> {
    if (!this.backend.controlChannel) return [404, error('not-found', 'this engine cannot start or stop channels')];
    if (!inScope(who, name)) return [403, error('forbidden', `channel ${name} is not in your scope`)];
    const r = await this.backend.controlChannel(name, action, who.name);
    if (r.status === 404) return [404, error('channel-not-found', r.detail)];
    if (r.status !== 200) return [r.status, error('channel-not-running', r.detail)];
    return [200, { channel: name, state: r.state, detail: r.detail }];
  }

  /** Messages received per minute over the last hour, per channel in scope (the dashboard's chart). */
  private async arrivals(who: Principal): Promise<[number, unknown]> {
    const since = Math.floor(Date.now() / 60_000) * 60_000 - 59 * 60_000;
    const rows = (await this.backend.store.arrivalsPerMinute(since)).filter((r) => inScope(who, r.channel));
    return [
      200,
      {
        since: new Date(since).toISOString(),
        minutes: 60,
        arrivals: rows.map((r) => ({ ...r, minute: new Date(r.minute).toISOString() })),
      },
    ];
  }

  private async listMessages(url: URL, who: Principal): Promise<[number, unknown]> {
    const q = url.searchParams;
    const status = q.get('status') ?? undefined;
    if (status && !STATUSES.includes(status))
      return [400, error('invalid-status', `status ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}`)];
    const limit = limitOf(url);
    if (typeof limit === 'string') return [400, error('invalid-limit', limit)];
    for (const k of ['from', 'to'])
      if (q.get(k) && Number.isNaN(Date.parse(q.get(k)!)))
        return [400, error('invalid-time', `${k} ${JSON.stringify(q.get(k))} is not a time (ISO 8601, e.g. 2026-12-05T08:00:00Z)`)];
    const before = beforeOf(q);
    if (before.problem) return [400, error('invalid-before', before.problem)];
    const keyText = q.get('key');
    const key = keyText ? /^([a-z][a-z0-9-]*):(.+)$/.exec(keyText) : undefined;
    if (keyText && !key) return [400, error('invalid-key', `key ${JSON.stringify(keyText)} is not NAME:VALUE (e.g. mrn:MRN0001)`)];
    // a business key (an MRN, an account) is patient data: searching by it is seeing it
    if (key && !can(who, 'phi'))
      return [403, error('forbidden', `the ${who.role} role may not search by business key (it shows patient data)`)];
    const messages = await this.backend.store.listMessages({
      channel: q.get('channel') ?? undefined,
      channels: scopeOf(who),
      status: status as MessageStatus | undefined,
      controlId: q.get('controlId') ?? undefined,
      from: q.get('from') || undefined,
      to: q.get('to') || undefined,
      ...(key ? { key: { name: key[1]!, value: key[2]! } } : {}),
      before: before.id,
      limit,
    });
    // A list is not the place for patient data: values stay in the detail view (lib/phi.ts).
    return [200, { messages: messages.map(messageWithoutValues) }];
  }

  private async listExceptions(url: URL, who: Principal): Promise<[number, unknown]> {
    const limit = limitOf(url);
    if (typeof limit === 'string') return [400, error('invalid-limit', limit)];
    const before = beforeOf(url.searchParams);
    if (before.problem) return [400, error('invalid-before', before.problem)];
    const exceptions = await this.backend.store.listExceptions({
      channel: url.searchParams.get('channel') ?? undefined,
      channels: scopeOf(who),
      reason: url.searchParams.get('reason') ?? undefined,
      before: before.id,
      limit,
    });
    // the offending value (an item number the table lacks) is what an analyst fixes; a viewer does not see it (lib/phi.ts)
    const shown = can(who, 'phi') ? exceptions : exceptions.map(messageWithoutValues);
    return [200, { exceptions: shown.map((m) => ({ ...m, reason: m.error?.rule ?? m.error?.code })) }];
  }

  /**
   * Reprocesses the exception queue after a fix (a table row added): one message (`id=`), or every
   * message of a channel, optionally only those that failed one rule (`channel=&reason=`). Each runs
   * again through the current configuration and tables; deliveries already made are never repeated.
   */
  private async reprocessExceptions(url: URL, who: Principal): Promise<[number, unknown]> {
    const id = url.searchParams.get('id');
    const channel = url.searchParams.get('channel') ?? undefined;
    const reason = url.searchParams.get('reason') ?? undefined;
    if (!id && !channel)
      return [
        400,
        error('missing-selection', 'name the messages to reprocess: id=<message id>, or channel=<channel> (and optionally reason=<rule>)'),
      ];
    if (channel && !inScope(who, channel)) return [403, error('forbidden', `channel ${channel} is not in your scope`)];
    const ids = [];
    if (id) {
      const m = await this.backend.store.getRaw(id);
      if (m && inScope(who, m.channel)) ids.push(id);
      else return [404, error('message-not-found', `no message ${id}`)];
    } else {
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

  private async listFiles(url: URL, who: Principal): Promise<[number, unknown]> {
    const channel = url.searchParams.get('channel') ?? undefined;
    const limit = limitOf(url);
    if (typeof limit === 'string') return [400, error('invalid-limit', limit)];
    const reading = (this.backend.files?.(channel) ?? []).filter((f) => inScope(who, String(f.channel)));
    const recent = (await this.backend.store.listFileSummaries({ channel, limit })).filter((f) => inScope(who, f.channel));
    // a list: the first problems of a file name positions, not cell values (lib/phi.ts)
    return [200, { reading: reading.map(fileSummaryWithoutValues), recent: recent.map(fileSummaryWithoutValues) }];
  }

  /** The message detail: all of it for roles that may see PHI, its metadata only for the others (message-view.ts). */
  private async getMessage(id: string, who: Principal): Promise<[number, unknown]> {
    const m = await this.backend.store.getMessage(id);
    if (!m || !inScope(who, m.channel)) return [404, error('message-not-found', `no message ${id}`)];
    return [200, messageDetailFor(m, await this.backend.store.messageKeys(id), can(who, 'phi'))];
  }

  private async reprocess(id: string, who: Principal): Promise<[number, unknown]> {
    const m = await this.backend.store.getRaw(id);
    if (!m || !inScope(who, m.channel)) return [404, error('message-not-found', `no message ${id}`)];
    const r = await this.backend.reprocess(id);
    return r.ok ? [202, { messageId: id, detail: r.detail }] : [409, error('not-reprocessable', r.detail)];
  }

  /** `POST /api/messages/:id/resolve` with `{ note }`: an exception settled by decision (status `filtered`). */
  private async resolve(req: IncomingMessage, id: string, who: Principal): Promise<[number, unknown]> {
    const body = await readJson(req);
    if (typeof body === 'string') return [400, error('invalid-request-body', body)];
    const note = typeof body.note === 'string' ? body.note.slice(0, 500) : '';
    const m = await this.backend.store.getRaw(id);
    if (!m || !inScope(who, m.channel)) return [404, error('message-not-found', `no message ${id}`)];
    return (await this.backend.store.resolveException(id, who.name, note))
      ? [200, { messageId: id, status: 'filtered', detail: `resolved by ${who.name}` }]
      : [409, error('not-an-exception', `message ${id} is ${m.status}, not in the exception queue`)];
  }

  private async retryDelivery(id: string, who: Principal): Promise<[number, unknown]> {
    const d = await this.backend.store.getDelivery(id);
    if (!d || !inScope(who, d.channel)) return [404, error('delivery-not-found', `no delivery ${id}`)];
    if (!this.backend.retryDelivery) return [404, error('retry-not-available', 'this engine cannot retry deliveries')];
    if (d.state !== 'dead') return [409, error('delivery-not-dead', `delivery ${id} is ${d.state}; only a dead delivery is retried`)];
    const r = await this.backend.retryDelivery(id);
    return r.ok ? [202, { deliveryId: id, detail: r.detail }] : [409, error('not-retryable', r.detail)];
  }
}

/** Largest proposed configuration `POST /api/replay` reads. */
const MAX_PROPOSAL_BYTES = 16 * 1024 * 1024;

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

/** `before=`: the id of the last message of the previous page; a time there is a mistake worth naming. */
function beforeOf(q: URLSearchParams): { id?: string; problem?: string } {
  const v = q.get('before');
  if (!v) return {};
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return { id: v.toLowerCase() };
  const hint = Number.isNaN(Date.parse(v)) ? '' : '; to list what was received before a time, use to=';
  return {
    problem: `before ${JSON.stringify(v)} is not a message id (before= takes the id of the last message of the previous page)${hint}`,
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
