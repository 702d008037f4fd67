import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/log.js';
import type { HttpAnswer } from '../../parsers/index.js';
import type { IngestResult, SourceContext } from '../types.js';
import type { AuthCheck } from './auth.js';
import { readBody } from './body.js';
import type { HttpListenerConfig, HttpSourceConfig } from './config.js';
import type { ErrorCode } from '../../lib/error-codes.js';
import type { BodyBudget } from '../../lib/listener-guard.js';

/** Longest control id or sender header value taken. */
export const MAX_ID_LENGTH = 256;

/** What one request handler needs from the listener. */
export type RequestDeps<C extends HttpListenerConfig = HttpSourceConfig> = {
  config: C;
  ctx: SourceContext;
  log: Logger;
  auth: AuthCheck;
  /** True once stop() was called: requests still arriving on open connections get 503. */
  stopping(): boolean;
  /** Bytes of request bodies the listener holds at once (`maxBufferedBytes`), shared by all its connections. */
  bodies: BodyBudget;
};

type Headers = Record<string, string | number>;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The listener's own refusals: the format's answer when it has one (FHIR: OperationOutcome), else `{ error }` JSON. */
export function sendError(
  deps: RequestDeps<HttpListenerConfig>,
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Headers = {},
): void {
  const hook = deps.ctx.httpAnswer;
  if (hook) sendAnswer(res, hook.refused(status, code, message), headers);
  else sendJson(res, status, { error: { code, message } }, headers);
}

function sendAnswer(res: ServerResponse, answer: HttpAnswer, headers: Headers = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body), ...headers });
  res.end(answer.body);
}

/** Answers and closes the connection, leaving a little time to discard what the client still sends. */
export function refuseAndClose(
  deps: RequestDeps<HttpListenerConfig>,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Headers = {},
): void {
  sendError(deps, res, status, code, message, { ...headers, connection: 'close' });
  res.once('finish', () => setTimeout(() => req.socket.destroy(), 2000).unref());
}

export function single(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

/** True when `mediaType` (no parameters, lower case) falls in one of the accepted ranges. */
export function acceptsMediaType(accepted: readonly string[], mediaType: string | undefined): boolean {
  return accepted.some((range) => {
    const r = range.toLowerCase();
    if (r === '*/*') return true;
    if (!mediaType) return false;
    return r.endsWith('/*') ? mediaType.startsWith(r.slice(0, -1)) : mediaType === r;
  });
}

/**
 * The listener checks made before the body is read (path, method, credentials, declared size), shared
 * by the HTTP-based sources; answers and returns false when one fails.
 */
export function precheckListener(
  req: IncomingMessage,
  res: ServerResponse,
  deps: RequestDeps<HttpListenerConfig>,
  methods: readonly string[],
): boolean {
  const { config } = deps;
  const path = (req.url ?? '/').split('?')[0]!;
  if (path !== config.path && !(config.path !== '/' && path === `${config.path}/`)) {
    sendError(deps, res, 404, 'http-not-found', `path ${path.slice(0, 200)} is not served; expected ${config.path}`);
    return false;
  }
  if (!methods.includes(req.method ?? '')) {
    sendError(
      deps,
      res,
      405,
      'http-method-not-allowed',
      `method ${String(req.method).slice(0, 20)} is not accepted; expected ${methods.join(' or ')}`,
      { allow: methods.join(', ') },
    );
    return false;
  }
  if (!deps.auth.check(req)) {
    sendError(
      deps,
      res,
      401,
      'http-unauthorized',
      'missing or wrong credentials',
      deps.auth.challenge ? { 'www-authenticate': deps.auth.challenge } : {},
    );
    return false;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > config.maxBodyBytes) {
    refuseAndClose(
      deps,
      req,
      res,
      413,
      'http-body-too-large',
      `body of ${declared} bytes is over maxBodyBytes; expected at most ${config.maxBodyBytes}`,
    );
    return false;
  }
  if (!deps.bodies.fits(declared)) {
    refuseBusy(deps, req, res);
    return false;
  }
  return true;
}

/**
 * The listener holds `maxBufferedBytes` of request bodies already (many large bodies at once): 503
 * with Retry-After, and the connection is closed so that the rest of this body is never read.
 */
export function refuseBusy(deps: RequestDeps<HttpListenerConfig>, req: IncomingMessage, res: ServerResponse): void {
  deps.log.warn({ limit: deps.config.maxBufferedBytes }, 'http request refused: the listener holds maxBufferedBytes of bodies');
  refuseAndClose(
    deps,
    req,
    res,
    503,
    'http-busy',
    `the listener holds its limit of ${deps.config.maxBufferedBytes} bytes of request bodies (maxBufferedBytes); send again after Retry-After`,
    { 'retry-after': Math.ceil(deps.config.retryAfter / 1000) },
  );
}

/** Reads the body within maxBodyBytes and the listener's budget; answers 413 or 503 itself and returns undefined when it cannot. */
export async function readRequestBody(
  req: IncomingMessage,
  res: ServerResponse,
  deps: RequestDeps<HttpListenerConfig>,
  what: string,
): Promise<Buffer | undefined> {
  const read = await readBody(req, deps.config.maxBodyBytes, { budget: deps.bodies, res });
  if (read.kind === 'ok') return read.body;
  if (read.kind === 'aborted') deps.log.debug('http request aborted by the client before its body was complete; nothing stored');
  else if (read.kind === 'busy') refuseBusy(deps, req, res);
  else
    refuseAndClose(
      deps,
      req,
      res,
      413,
      'http-body-too-large',
      `${what} is over maxBodyBytes; expected at most ${deps.config.maxBodyBytes} bytes`,
    );
  return undefined;
}

/** The checks made before the body is read; answers and returns false when one fails. */
function precheck(req: IncomingMessage, res: ServerResponse, deps: RequestDeps): boolean {
  const { config } = deps;
  if (!precheckListener(req, res, deps as unknown as RequestDeps<HttpListenerConfig>, config.methods)) return false;
  const mediaType = req.headers['content-type']?.split(';')[0]!.trim().toLowerCase() || undefined;
  if (!acceptsMediaType(config.contentTypes, mediaType)) {
    sendError(
      deps as unknown as RequestDeps<HttpListenerConfig>,
      res,
      415,
      'http-unsupported-media-type',
      `content type ${mediaType?.slice(0, 100) ?? '(none)'} is not accepted; expected ${config.contentTypes.join(', ')}`,
    );
    return false;
  }
  for (const name of [config.controlIdHeader, 'idempotency-key', config.senderHeader]) {
    const v = name ? single(req, name) : undefined;
    if (v && v.length > MAX_ID_LENGTH) {
      sendError(deps, res, 400, 'http-invalid-header', `${name} is ${v.length} characters long; expected at most ${MAX_ID_LENGTH}`);
      return false;
    }
  }
  return true;
}

/** Writes the answer of a stored message and records it in the ledger once sent (or not sent). */
function answerStored(res: ServerResponse, deps: RequestDeps, result: IngestResult): void {
  const answer = deps.ctx.httpAnswer?.stored(result);
  const status = answer?.status ?? (result.duplicate ? 200 : 202);
  const body = result.duplicate
    ? { messageId: result.messageId, duplicate: true, originalMessageId: result.originalMessageId }
    : { messageId: result.messageId, duplicate: false };
  let recorded = false;
  const record = (code: string, detail?: string) => {
    if (recorded) return;
    recorded = true;
    deps.ctx.recordAnswer(result.messageId, detail ? { kind: 'http', code, detail } : { kind: 'http', code });
  };
  res.once('finish', () => record(String(status)));
  res.once('close', () => record('none', `the client closed the connection before the ${status} answer was sent`));
  if (res.destroyed) record('none', `the client closed the connection before the ${status} answer was sent`);
  const headers = { 'x-interlace-message-id': result.messageId, ...(deps.stopping() ? { connection: 'close' } : {}) };
  if (answer) sendAnswer(res, answer, headers);
  else sendJson(res, status, body, headers);
}

/** Answers a body the format refused (stored as rejected, never processed) and records the answer. */
function answerRejected(res: ServerResponse, deps: RequestDeps, result: IngestResult, answer: HttpAnswer): void {
  res.once('finish', () =>
    deps.ctx.recordAnswer(result.messageId, { kind: 'http', code: String(answer.status), detail: 'refused by the format check' }),
  );
  sendAnswer(res, answer, { 'x-interlace-message-id': result.messageId });
}

/**
 * Handles one request: checks path, method, credentials, media type and declared size; reads the
 * body within maxBodyBytes; stores it; only then answers 202 (or 200 for a duplicate). A store
 * failure is answered 503 with Retry-After, and nothing positive is ever sent before the store
 * confirmed.
 */
export async function handleRequest(req: IncomingMessage, res: ServerResponse, deps: RequestDeps, expectsContinue = false): Promise<void> {
  const { config, ctx, log } = deps;
  if (deps.stopping()) {
    sendError(deps, res, 503, 'http-stopping', 'the listener is stopping; send again later', {
      'retry-after': Math.ceil(config.retryAfter / 1000),
      connection: 'close',
    });
    return;
  }
  if (!precheck(req, res, deps)) return;
  if (expectsContinue) res.writeContinue();
  const body = await readRequestBody(req, res, deps as unknown as RequestDeps<HttpListenerConfig>, 'body');
  if (!body) return;
  if (body.length === 0) {
    sendError(deps, res, 400, 'http-empty-body', 'the request has no body; expected one message');
    return;
  }
  const sender = config.senderHeader ? single(req, config.senderHeader) : undefined;
  const mediaType = req.headers['content-type']?.split(';')[0]!.trim().toLowerCase() || undefined;
  const checked = ctx.httpAnswer?.check(body, mediaType);
  // the sender's id of the message: a header, else the format's own (a FHIR Bundle's identifier)
  const controlId = single(req, config.controlIdHeader) ?? single(req, 'idempotency-key') ?? (checked?.ok ? checked.controlId : undefined);
  let result: IngestResult;
  try {
    result = await ctx.ingest({
      raw: body,
      controlId,
      sender,
      origin: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      ...(checked && !checked.ok ? { rejected: { diagnostics: checked.diagnostics } } : {}),
    });
  } catch (err) {
    log.warn({ err: (err as { code?: string }).code ?? (err as Error).name }, 'http message not stored; answered 503');
    sendError(deps, res, 503, 'http-store-failed', 'the message was not stored; send it again later', {
      'retry-after': Math.ceil(config.retryAfter / 1000),
    });
    return;
  }
  log.debug({ messageId: result.messageId, duplicate: result.duplicate }, 'http message stored');
  if (checked && !checked.ok) answerRejected(res, deps, result, checked.answer);
  else answerStored(res, deps, result);
}
