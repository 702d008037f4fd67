import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Source, SourceContext } from '../types.js';
import { authCheck } from './auth.js';
import type { HttpListenerConfig } from './config.js';
import { handleRequest, type RequestDeps } from './request.js';
import { serverTlsOptions } from '../../lib/tls.js';
import { boundAddress } from '../../lib/net.js';
import { BodyBudget, guardHttpServer, LISTENER_DEFAULTS, type ConnectionStats } from '../../lib/listener-guard.js';

/** Handles one request: reads, stores, answers. The listener counts it in flight until it settles. */
export type RequestHandler<C extends HttpListenerConfig> = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: RequestDeps<C>,
  expectsContinue: boolean,
) => Promise<void>;

/**
 * The HTTP listener, shared by the HTTP-based sources: `http` (its request handler by default) and
 * `as2` (its own handler). `start` resolves once bound. `stop` stops accepting connections, answers 503 to
 * requests that still arrive on open ones, waits up to `drainTimeout` for requests in flight to be
 * stored and answered, then closes every connection.
 */
export class HttpSource<C extends HttpListenerConfig = HttpListenerConfig> implements Source {
  private server: http.Server | undefined;
  private inFlight = 0;
  private idle: (() => void)[] = [];
  private stopping = false;
  private readonly log: Logger;
  private readonly deps: RequestDeps<C>;
  private readonly handler: RequestHandler<C>;
  private readonly kind: string;
  private guard: { stats(): ConnectionStats[] } | undefined;

  constructor(
    private readonly config: C,
    ctx: SourceContext,
    options: { handler?: RequestHandler<C>; kind?: string } = {},
  ) {
    this.kind = options.kind ?? 'http';
    this.handler = options.handler ?? (handleRequest as unknown as RequestHandler<C>);
    this.log = ctx.log; // the engine binds channel and source type (engine/runtime/intake.ts)
    this.deps = {
      config,
      ctx,
      log: this.log,
      auth: authCheck(config.auth),
      stopping: () => this.stopping,
      bodies: new BodyBudget(config.maxBufferedBytes),
    };
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.stopping = false;
    const c = this.config;
    const shortest = Math.min(...[c.headersTimeout, c.requestTimeout].filter((t) => t > 0), 2000);
    const options: http.ServerOptions = {
      headersTimeout: c.headersTimeout,
      requestTimeout: c.requestTimeout,
      keepAliveTimeout: c.keepAliveTimeout,
      connectionsCheckingInterval: Math.max(50, Math.floor(shortest / 2)),
    };
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => this.track(req, res, false);
    const server = c.tls.enabled
      ? https.createServer({ ...options, ...serverTlsOptions(c.tls, 'http') }, onRequest)
      : http.createServer(options, onRequest);
    server.maxConnections = c.maxConnections;
    this.guard = guardHttpServer(server, {
      ...LISTENER_DEFAULTS,
      maxConnectionsPerAddress: c.maxConnectionsPerAddress,
      log: this.log,
      name: this.kind,
    });
    server.on('drop', () => this.log.warn({ limit: c.maxConnections }, 'http connection refused: too many connections'));
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => this.track(req, res, true));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket));
    if (server instanceof https.Server) {
      server.on('tlsClientError', (err: NodeJS.ErrnoException) => this.log.warn({ code: err.code }, 'http tls handshake failed'));
    }
    server.on('error', (err: NodeJS.ErrnoException) => this.log.error({ code: err.code }, 'http listener error'));
    await new Promise<void>((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException) =>
        reject(new ConfigError('http-listen-failed', `cannot listen on ${c.host}:${c.port}: ${err.code ?? 'error'}`, { cause: err }));
      server.once('error', fail);
      server.listen(c.port, c.host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    this.server = server;
    const addr = this.address();
    this.log.info({ host: addr?.host, port: addr?.port, path: c.path, tls: c.tls.enabled }, 'listener started');
  }

  /** Backpressure state of each connection that made a request (tests, diagnostics). */
  connectionStats(): ConnectionStats[] {
    return this.guard?.stats() ?? [];
  }

  /** Bytes of request bodies held in memory now, all connections together (tests, diagnostics). */
  bufferedBytes(): number {
    return this.deps.bodies.held;
  }

  address(): { host: string; port: number } | undefined {
    return boundAddress(this.server);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      this.drained().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.config.drainTimeout))),
    ]);
    clearTimeout(timer);
    if (late) this.log.warn({ inFlight: this.inFlight }, 'http stop: requests still in flight after drainTimeout');
    server.closeAllConnections();
    await closed;
    this.log.info('listener stopped');
  }

  private drained(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  private track(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean): void {
    this.inFlight += 1;
    this.handler(req, res, this.deps, expectsContinue)
      .catch((err: unknown) => {
        this.log.error({ err: (err as Error).name }, 'http request handler failed');
        if (!res.headersSent) res.writeHead(500, { connection: 'close' }).end();
      })
      .finally(() => {
        this.inFlight -= 1;
        if (this.stopping) this.server?.closeIdleConnections();
        if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
      });
  }

  private clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    this.log.debug({ code: err.code }, 'http client error');
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timedOut
      ? '408 Request Timeout'
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
}
