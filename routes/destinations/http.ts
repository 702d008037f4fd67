import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import * as net from 'node:net';
import * as tlsModule from 'node:tls';
import { z } from 'zod';
import { auth, byteSize, duration, tls, type AuthConfig } from '../../lib/config-fragments.js';
import { PermanentDeliveryError, TransientDeliveryError } from '../../lib/errors.js';
import { excerpt } from '../excerpt.js';
import { parseRetryAfter, RetryLaterError } from '../retry.js';
import type { Delivery, DeliveryResult, Destination, DestinationContext, DestinationDefinition } from '../types.js';
import { httpRequest } from './http-request.js';
import { formatStatusSet, inStatusSet, statusSet } from './status-set.js';
import { clientTlsOptions } from '../../lib/tls.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;
const HEALTH_TIMEOUT_MS = 3000;

/** Config of an `http` destination (the route's `destination:` block). */
export const httpSchema = z
  .strictObject({
    type: z.literal('http').describe('Sends each delivery as one HTTP request.'),
    url: z
      .url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' })
      .describe('Where to send: an http:// or https:// URL. A `path` set by the mapping is appended to it.'),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST').describe('HTTP method.'),
    headers: z
      .record(
        z.string().regex(TOKEN, 'expected a header name'),
        z.string().regex(/^[^\r\n\0]*$/, 'a header value cannot contain line breaks'),
      )
      .default({})
      .describe('Extra request headers. Headers set by the mapping override these; auth and the Interlace headers override both.'),
    auth: auth.default({ type: 'none' }),
    timeout: duration
      .default(30_000)
      .describe('Longest wait for a complete answer, connect included; past it the attempt fails and is retried.'),
    success: statusSet('200-299').describe('Statuses that mean delivered: numbers and ranges, e.g. `200-299` or `[200, 202]`.'),
    retryOn: statusSet('408, 425, 429, 500-599').describe(
      'Statuses that mean "try again later". Any other status that is not a success dead-letters the delivery at once.',
    ),
    tls: tls
      .optional()
      .describe('For https URLs: client certificate (`cert`, `key`), trusted CAs (`ca`), lowest version. `requestCert` does not apply.'),
    maxResponseBytes: byteSize
      .default(1024 * 1024)
      .describe('Most of a response body read; the rest is discarded (the ledger keeps 2 KiB at most).'),
  })
  .superRefine((c, ctx) => {
    if (c.tls && new URL(c.url).protocol === 'http:') {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls is set but the url is http://; use an https:// URL' });
    }
    if (c.tls && (c.tls.cert === undefined) !== (c.tls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'a client certificate needs both cert and key' });
    }
  })
  .describe('HTTP destination: one request per delivery, with an Idempotency-Key header.');

export type HttpDestinationConfig = z.output<typeof httpSchema>;

/** The `http` destination type. */
export const http: DestinationDefinition<HttpDestinationConfig> = {
  type: 'http',
  schema: httpSchema,
  create: (config, ctx) => new HttpDestination(config, ctx),
};

/**
 * Sends a delivery as one request. Resolves on a `success` status; throws TransientDeliveryError on
 * a `retryOn` status, a timeout or a network failure (RetryLaterError when the server sent
 * Retry-After on 429/503), PermanentDeliveryError on any other status or an unsendable payload.
 */
class HttpDestination implements Destination {
  private readonly base: URL;
  private readonly label: string;
  private readonly agent: nodeHttp.Agent;
  private readonly tlsOptions: tlsModule.ConnectionOptions;
  private readonly authHeader: [string, string] | undefined;
  readonly attemptTimeoutMs: number;

  constructor(
    private readonly config: HttpDestinationConfig,
    ctx: DestinationContext,
  ) {
    this.base = new URL(config.url);
    this.label = `${this.base.protocol}//${this.base.host}${this.base.pathname}`;
    this.tlsOptions = readTls(config, ctx);
    this.agent =
      this.base.protocol === 'https:'
        ? new nodeHttps.Agent({ keepAlive: true, ...this.tlsOptions })
        : new nodeHttp.Agent({ keepAlive: true });
    this.authHeader = authHeader(config.auth);
    this.attemptTimeoutMs = config.timeout; // connect and complete answer included
  }

  async send(delivery: Delivery): Promise<DeliveryResult> {
    const url = targetUrl(this.base, delivery.payload.path);
    const body = Buffer.from(delivery.payload.body, 'utf8');
    const headers = this.headersFor(delivery, body.length);
    const answer = await httpRequest(url, {
      method: this.config.method,
      headers,
      body,
      agent: this.agent,
      timeoutMs: this.config.timeout,
      maxResponseBytes: this.config.maxResponseBytes,
      label: this.label,
    });
    const response = { status: String(answer.status), body: excerpt(answer.body.toString('utf8')) };
    if (inStatusSet(this.config.success, answer.status)) return response;
    return this.refuse(answer.status, answer.headers['retry-after'], response);
  }

  private refuse(status: number, retryAfter: string | undefined, response: { status: string; body: string }): never {
    const where = `${this.config.method} ${this.label} answered ${status}`;
    if (inStatusSet(this.config.retryOn, status)) {
      const message = `${where}; expected ${formatStatusSet(this.config.success)}, will retry`;
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined;
      if (retryAfterMs !== undefined) throw new RetryLaterError('http-retryable-status', message, { retryAfterMs, response });
      throw new TransientDeliveryError('http-retryable-status', message, { response });
    }
    throw new PermanentDeliveryError('http-rejected-status', `${where}; expected ${formatStatusSet(this.config.success)}`, { response });
  }

  /** Config headers < payload headers < auth < Interlace headers; names compared without case. */
  private headersFor(delivery: Delivery, length: number): Record<string, string> {
    const out = new Map<string, [string, string]>();
    const put = (name: string, value: string, from: string): void => {
      if (!TOKEN.test(name)) throw invalidHeader(delivery, from, `name ${JSON.stringify(name.slice(0, 60))} is not a header name`);
      if (BAD_VALUE.test(value)) throw invalidHeader(delivery, from, `${name} contains a line break or NUL`);
      out.set(name.toLowerCase(), [name, value]);
    };
    for (const [k, v] of Object.entries(this.config.headers)) put(k, v, 'config');
    for (const [k, v] of Object.entries(delivery.payload.headers ?? {})) put(k, String(v), 'payload');
    if (this.authHeader) put(this.authHeader[0], this.authHeader[1], 'auth');
    put('Content-Type', delivery.payload.contentType, 'payload content type');
    put('Content-Length', String(length), 'body');
    put('Idempotency-Key', delivery.idempotencyKey, 'delivery');
    put('X-Correlation-Id', delivery.correlationId, 'delivery');
    put('X-Interlace-Message-Id', delivery.messageId, 'delivery');
    if (delivery.traceparent) put('traceparent', delivery.traceparent, 'trace context');
    return Object.fromEntries([...out.values()]);
  }

  /** A TCP connect (https: a TLS handshake with the configured CAs) with a short timeout. Never throws. */
  health(): Promise<{ ok: boolean; detail?: string }> {
    return new Promise((resolve) => {
      const port = Number(this.base.port || (this.base.protocol === 'https:' ? 443 : 80));
      const host = this.base.hostname.replace(/^\[|\]$/g, '');
      const secure = this.base.protocol === 'https:';
      let socket: net.Socket;
      const done = (ok: boolean, detail: string): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok, detail });
      };
      try {
        socket = secure
          ? tlsModule.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...this.tlsOptions }, () =>
              done(true, 'TLS handshake completed'),
            )
          : net.connect({ host, port }, () => done(true, 'TCP connection accepted'));
      } catch (err) {
        resolve({ ok: false, detail: (err as NodeJS.ErrnoException).code ?? 'connect failed' });
        return;
      }
      const timer = setTimeout(() => done(false, `no connection within ${HEALTH_TIMEOUT_MS} ms`), HEALTH_TIMEOUT_MS);
      socket.on('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.name));
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

function invalidHeader(delivery: Delivery, from: string, what: string): PermanentDeliveryError {
  return new PermanentDeliveryError(
    'http-invalid-header',
    `delivery ${delivery.deliveryId}: ${from} header ${what}; expected a valid HTTP header`,
  );
}

/** Appends a mapping's `path` (and its `?query`) to the configured URL; refuses `..` and control characters. */
export function targetUrl(base: URL, path: string | undefined): URL {
  if (path === undefined || path === '') return base;
  const q = path.indexOf('?');
  const pathPart = q < 0 ? path : path.slice(0, q);
  if (/[\u0000-\u001f\u007f#\\]/.test(path) || pathPart.split('/').some((s) => /^(\.|%2e){1,2}$/i.test(s))) {
    throw new PermanentDeliveryError(
      'http-invalid-path',
      'the payload path contains a control character, #, \\ or a . / .. segment; expected a relative path',
    );
  }
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${pathPart.replace(/^\/+/, '')}`;
  if (q >= 0) for (const [k, v] of new URLSearchParams(path.slice(q + 1))) url.searchParams.append(k, v);
  return url;
}

function authHeader(a: AuthConfig): [string, string] | undefined {
  switch (a.type) {
    case 'none':
      return undefined;
    case 'bearer':
      return ['Authorization', `Bearer ${a.token}`];
    case 'basic':
      return ['Authorization', `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`];
    case 'header':
      return [a.name, a.value];
  }
}

function readTls(config: HttpDestinationConfig, ctx: DestinationContext): tlsModule.ConnectionOptions {
  return config.tls ? clientTlsOptions(config.tls, `route ${ctx.channel}/${ctx.route}`) : {};
}
