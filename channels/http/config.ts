import { z } from 'zod';
import { auth, byteSize, duration, port, tls } from '../../lib/config-fragments.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MEDIA_RANGE = /^(\*|[!#$%&'*+\-.^_`|~0-9A-Za-z]+)\/(\*|[!#$%&'*+\-.^_`|~0-9A-Za-z]+)$/;

const headerName = (what: string) =>
  z.string().regex(TOKEN, { message: `${what} must be an HTTP header name (letters, digits and - _ . etc., no spaces or colons)` });

/**
 * The listener fields every HTTP-based source shares (the `http` source, the `as2` receiver): where it
 * listens, size, connection and time limits, credentials and TLS. Each source adds its own fields.
 */
export const httpListenerShape = {
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'Address to listen on. The default, 127.0.0.1, is this machine only; set the address of the interface callers reach (or 0.0.0.0, every IPv4 interface) to accept them.',
    ),
  port: port.describe('TCP port to listen on; 0 picks a free port (tests).'),
  path: z
    .string()
    .regex(/^\/[^?#\s]*$/, { message: 'path must start with / and hold no query, fragment or spaces (e.g. /inbound/orders)' })
    .default('/')
    .describe('The one URL path that accepts messages; any other path is answered 404.'),
  maxBodyBytes: byteSize
    .prefault('10MiB')
    .describe('Largest body accepted; a larger one is answered 413, and what is left of it is not buffered.'),
  maxBufferedBytes: byteSize
    .prefault('64MiB')
    .describe(
      'Most bytes of request bodies this listener holds in memory at once, all connections together (many large bodies at once); a request that would pass it is answered 503 with Retry-After and its connection closed. At least maxBodyBytes.',
    ),
  auth: auth
    .default({ type: 'none' })
    .describe(
      'What callers must present: none, a bearer token, basic credentials, or a named header with a value. Compared in constant time; a failure is answered 401.',
    ),
  maxConnections: z
    .number({ message: 'expected a number of connections' })
    .int()
    .min(1)
    .max(100_000)
    .default(256)
    .describe('Most connections open at once (each may hold a body of up to maxBodyBytes); a connection beyond it is closed at once.'),
  maxConnectionsPerAddress: z
    .number({ message: 'expected a number of connections' })
    .int()
    .min(1)
    .max(100_000)
    .default(10)
    .describe('Most connections open at once from one peer address; a connection beyond it is closed at once and logged.'),
  headersTimeout: duration
    .prefault('10s')
    .describe('Close a connection whose request headers are not complete after this long (slow-client guard); answered 408.'),
  requestTimeout: duration
    .prefault('60s')
    .describe('Close a connection whose whole request (headers and body) is not received after this long; answered 408.'),
  keepAliveTimeout: duration.prefault('5s').describe('How long an idle keep-alive connection stays open between requests.'),
  drainTimeout: duration
    .prefault('10s')
    .describe('On stop: how long requests in flight may take to be stored and answered before connections are closed.'),
  retryAfter: duration
    .prefault('30s')
    .describe('Sent as Retry-After (rounded up to whole seconds) when the message could not be stored (503).'),
  tls: tls
    .default({ enabled: false, requestCert: false, minVersion: 'TLSv1.2' })
    .describe('TLS (HTTPS); `cert` and `key` are required when enabled.'),
};

/** The checks across listener fields, for the schema's superRefine. */
export function checkListener(
  c: {
    tls: { enabled: boolean; cert?: string; key?: string };
    requestTimeout: number;
    headersTimeout: number;
    maxBodyBytes: number;
    maxBufferedBytes: number;
  },
  ctx: z.RefinementCtx,
): void {
  if (c.maxBufferedBytes < c.maxBodyBytes) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxBufferedBytes'],
      message: `maxBufferedBytes (${c.maxBufferedBytes} bytes) is less than maxBodyBytes (${c.maxBodyBytes} bytes); expected at least maxBodyBytes, or a body of the largest size would never be accepted`,
    });
  }
  if (c.tls.enabled && (!c.tls.cert || !c.tls.key)) {
    ctx.addIssue({
      code: 'custom',
      path: ['tls'],
      message: 'tls.enabled is true but tls.cert or tls.key is missing; expected paths to PEM files',
    });
  }
  if (c.requestTimeout > 0 && c.headersTimeout > c.requestTimeout) {
    ctx.addIssue({
      code: 'custom',
      path: ['headersTimeout'],
      message: `headersTimeout (${c.headersTimeout}ms) is longer than requestTimeout (${c.requestTimeout}ms); expected at most requestTimeout`,
    });
  }
}

/** Config of the HTTP listener (`source: { type: http, … }` in a channel file). */
export const httpSourceSchema = z
  .strictObject({
    type: z.literal('http').describe('An HTTP(S) listener: each request body is one message, answered 202 once stored.'),
    host: httpListenerShape.host,
    port: httpListenerShape.port,
    path: httpListenerShape.path,
    methods: z
      .array(z.enum(['POST', 'PUT', 'PATCH']))
      .min(1)
      .default(['POST'])
      .describe('HTTP methods accepted; any other is answered 405 with an Allow header.'),
    maxBodyBytes: httpListenerShape.maxBodyBytes,
    maxBufferedBytes: httpListenerShape.maxBufferedBytes,
    auth: httpListenerShape.auth,
    contentTypes: z
      .array(z.string().regex(MEDIA_RANGE, { message: 'contentTypes entries must be media types such as application/json, text/* or */*' }))
      .min(1)
      .default(['*/*'])
      .describe(
        'Media types accepted (application/json, application/fhir+json, x-application/hl7-v2+er7, text/*…); any other, or none given when the list has no */*, is answered 415.',
      ),
    controlIdHeader: headerName('controlIdHeader')
      .default('X-Message-Id')
      .describe("Header carrying the sender's id of the message (duplicate detection); Idempotency-Key is read when it is absent."),
    senderHeader: headerName('senderHeader').optional().describe('Header naming the sending system; duplicates are detected per sender.'),
    maxConnections: httpListenerShape.maxConnections,
    maxConnectionsPerAddress: httpListenerShape.maxConnectionsPerAddress,
    headersTimeout: httpListenerShape.headersTimeout,
    requestTimeout: httpListenerShape.requestTimeout,
    keepAliveTimeout: httpListenerShape.keepAliveTimeout,
    drainTimeout: httpListenerShape.drainTimeout,
    retryAfter: httpListenerShape.retryAfter,
    tls: httpListenerShape.tls,
  })
  .superRefine(checkListener)
  .describe('HTTP listener: systems POST messages (JSON orders, FHIR notifications, HL7 v2 over HTTP).');

/** What the listener machinery (HttpSource) needs of a config. */
export type HttpListenerConfig = Pick<
  HttpSourceConfig,
  | 'host'
  | 'port'
  | 'path'
  | 'maxBodyBytes'
  | 'maxBufferedBytes'
  | 'auth'
  | 'maxConnections'
  | 'maxConnectionsPerAddress'
  | 'headersTimeout'
  | 'requestTimeout'
  | 'keepAliveTimeout'
  | 'drainTimeout'
  | 'retryAfter'
  | 'tls'
>;

export type HttpSourceConfig = z.output<typeof httpSourceSchema>;
