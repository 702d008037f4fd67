import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readSecretFile } from '../../lib/secrets.js';
import { ParseError } from '../../lib/errors.js';
import {
  buildEntity,
  buildMdn,
  dispositionFor,
  isMdnEntity,
  loadCertificate,
  loadIdentity,
  as2NameOf,
  parseMdnOptions,
  quoteAs2Name,
  unpack,
  type As2Certificate,
  type As2Identity,
  type DispositionModifier,
  type MdnRequest,
  type MimeEntity,
  type Mic,
} from '../../lib/as2/index.js';
import { precheckListener, readRequestBody, sendError, type RequestDeps } from '../http/request.js';
import type { IngestResult } from '../types.js';
import type { As2SourceConfig } from './config.js';
import { postMdn } from './async-mdn.js';
import { receiveMdn } from './mdn-in.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** The partners and keys of a receiver, loaded once at creation. */
export type As2Keys = {
  ours: As2Identity;
  partners: Map<string, { certificate: As2Certificate; requireSigned: boolean; requireEncrypted: boolean; partner?: string }>;
};

export function loadKeys(c: As2SourceConfig): As2Keys {
  const ours = loadIdentity(
    readSecretFile(c.certificate, 'certificate'),
    readSecretFile(c.privateKey, 'privateKey'),
    `as2 source ${c.as2Id}`,
  );
  const partners: As2Keys['partners'] = new Map();
  for (const p of c.partners) {
    partners.set(p.as2Id, {
      certificate: loadCertificate(readSecretFile(p.certificate, `partner ${p.as2Id} certificate`), `partner ${p.as2Id} certificate`),
      requireSigned: p.requireSigned,
      requireEncrypted: p.requireEncrypted,
      ...(p.partner ? { partner: p.partner } : {}),
    });
  }
  return { ours, partners };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim().slice(0, 1024);
}

/** The request as one MIME entity (AS2 and content headers, then the body): what a refused message is stored as. */
function requestEntity(req: IncomingMessage, body: Buffer): MimeEntity {
  const keep = [
    'as2-from',
    'as2-to',
    'message-id',
    'as2-version',
    'subject',
    'date',
    'content-type',
    'content-transfer-encoding',
    'content-disposition',
    'disposition-notification-to',
    'disposition-notification-options',
    'receipt-delivery-option',
    'mime-version',
  ];
  const headers = keep.flatMap((n) => (header(req, n) ? [[n, header(req, n)!] as const] : []));
  return buildEntity(
    headers.map(
      ([n, v]) => [n.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase()), v.replace(/[\r\n]/g, ' ')] as const,
    ),
    body,
  );
}

type Outcome = { modifier?: DispositionModifier; explanation: string; mic?: Mic; payload?: Buffer; contentType?: string; code?: ErrorCode };

/** Unwraps and checks one message: who sent it, to whom, and what it carries. */
function examine(
  req: IncomingMessage,
  body: Buffer,
  from: string,
  to: string,
  keys: As2Keys,
  config: As2SourceConfig,
  mdn: MdnRequest,
): Outcome {
  if (to !== config.as2Id) {
    return {
      modifier: 'unexpected-processing-error',
      code: 'as2-unknown-recipient',
      explanation: `The message is addressed to AS2-To "${to}", which is not this receiver (${config.as2Id}). It was stored as rejected and not processed.`,
    };
  }
  const partner = keys.partners.get(from);
  if (!partner) {
    return {
      modifier: 'authentication-failed',
      code: 'as2-unknown-partner',
      explanation: `AS2-From "${from}" is not a trading partner of this receiver. The message was stored as rejected and not processed.`,
    };
  }
  const headers = ['content-type', 'content-transfer-encoding'].flatMap((n) => (header(req, n) ? [[n, header(req, n)!] as const] : []));
  try {
    const out = unpack(headers, body, {
      ours: [keys.ours],
      partner: [partner.certificate],
      requireSigned: partner.requireSigned,
      requireEncrypted: partner.requireEncrypted,
      micDigests: mdn.micDigests,
      maxSize: config.maxBodyBytes,
    });
    if (out.payload.length === 0)
      return {
        modifier: 'unexpected-processing-error',
        code: 'as2-empty-payload',
        explanation: 'The message carries an empty payload; nothing was processed.',
      };
    return {
      mic: out.mic,
      payload: out.payload,
      contentType: out.contentType,
      explanation: `The message was received${out.signed ? ', its signature verified' : ''}${out.encrypted ? ', decrypted' : ''}, and stored.`,
    };
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return {
      modifier: dispositionFor(err),
      code: err.code,
      explanation: `The message was refused: ${err.message}. It was stored as rejected and not processed.`,
    };
  }
}

/**
 * Handles one AS2 request (RFC 4130). An asynchronous MDN answering what our sender sent goes to
 * `receiveMdn` and is never stored as a message. Any other request: checks the AS2 headers, unwraps
 * the message, stores it (payload when accepted, the whole request when refused), and only then
 * answers with the MDN: in the response
 * (synchronous) or by POST to `Receipt-Delivery-Option` (asynchronous). A store failure is answered 503
 * with no MDN, so the partner sends again. A message whose Message-ID was already received from that
 * partner is not processed again and gets the same MDN (same disposition and MIC, recomputed from the
 * resent bytes).
 */
export async function handleAs2Request(
  req: IncomingMessage,
  res: ServerResponse,
  deps: RequestDeps<As2SourceConfig> & { keys: As2Keys; afterStored?: (payload: Buffer, result: IngestResult) => void },
): Promise<void> {
  const { config, ctx, log } = deps;
  if (deps.stopping()) {
    sendError(deps, res, 503, 'http-stopping', 'the listener is stopping; send again later', {
      'retry-after': Math.ceil(config.retryAfter / 1000),
      connection: 'close',
    });
    return;
  }
  if (!precheckListener(req, res, deps, ['POST'])) return;
  const body = await readRequestBody(req, res, deps, 'the AS2 message');
  if (!body) return;
  const from = as2NameOf(header(req, 'as2-from'));
  const to = as2NameOf(header(req, 'as2-to'));
  const contentType = header(req, 'content-type') ?? '';
  if (body.length > 0 && isMdnEntity([['Content-Type', contentType]], body)) {
    await receiveMdn(req, res, deps, { ...(from ? { from } : {}), ...(to ? { to } : {}), contentType, body });
    return;
  }
  const messageId = header(req, 'message-id');
  const origin = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
  if (!from || !to || !messageId || body.length === 0) {
    const missing = [!from && 'AS2-From', !to && 'AS2-To', !messageId && 'Message-ID', body.length === 0 && 'a body']
      .filter(Boolean)
      .join(', ');
    const message = `the request is not an AS2 message: it has no ${missing}`;
    await ctx
      .ingest({
        raw: requestEntity(req, body).raw,
        origin,
        ...(from ? { sender: from } : {}),
        rejected: { diagnostics: [{ severity: 'error' as const, code: 'as2-not-as2' as const, message }] },
      })
      .catch(() => undefined);
    sendError(deps, res, 400, 'as2-not-as2', message);
    return;
  }
  const mdnRequest = parseMdnOptions(header(req, 'disposition-notification-options'));
  const outcome = examine(req, body, from, to, deps.keys, config, mdnRequest);
  let result: IngestResult;
  try {
    result = await ctx.ingest({
      raw: outcome.payload ?? requestEntity(req, body).raw,
      controlId: messageId,
      sender: from,
      origin,
      ...(outcome.payload
        ? {}
        : {
            rejected: { diagnostics: [{ severity: 'error' as const, code: outcome.code ?? 'as2-refused', message: outcome.explanation }] },
          }),
    });
  } catch (err) {
    log.warn({ err: (err as { code?: string }).code ?? (err as Error).name }, 'as2 message not stored; answered 503');
    sendError(deps, res, 503, 'http-store-failed', 'the message was not stored; send it again later', {
      'retry-after': Math.ceil(config.retryAfter / 1000),
    });
    return;
  }
  log.debug(
    { messageId: result.messageId, duplicate: result.duplicate, disposition: outcome.modifier ?? 'processed' },
    'as2 message stored',
  );
  const explanation = result.duplicate
    ? `${outcome.explanation} This Message-ID was received before (message ${result.originalMessageId ?? '?'}); it was not processed again.`
    : outcome.explanation;
  answer(req, res, deps, { from, to, messageId, outcome: { ...outcome, explanation }, mdnRequest, result });
  if (outcome.payload && !result.duplicate) deps.afterStored?.(outcome.payload, result);
}

type AnswerInput = { from: string; to: string; messageId: string; outcome: Outcome; mdnRequest: MdnRequest; result: IngestResult };

function answer(req: IncomingMessage, res: ServerResponse, deps: RequestDeps<As2SourceConfig> & { keys: As2Keys }, a: AnswerInput): void {
  const { config, ctx, log } = deps;
  const code = a.outcome.modifier ?? 'processed';
  if (!header(req, 'disposition-notification-to')) {
    res.writeHead(200, { 'content-length': 0 }).end();
    ctx.recordAnswer(a.result.messageId, { kind: 'as2-mdn', code: 'none', detail: `no MDN requested; HTTP 200 (${code})` });
    return;
  }
  const known = deps.keys.partners.has(a.from);
  const sign = a.mdnRequest.signed ? { identity: deps.keys.ours, digest: a.mdnRequest.micDigests[0] ?? 'sha256' } : undefined;
  const mdn = buildMdn(
    {
      reportingUa: config.reportingUa,
      recipient: a.to,
      originalMessageId: a.messageId,
      explanation: a.outcome.explanation,
      ...(a.outcome.modifier ? { modifier: a.outcome.modifier } : {}),
      ...(a.outcome.mic ? { mic: a.outcome.mic } : {}),
    },
    sign,
  );
  const headers: Record<string, string> = {
    'as2-version': '1.2',
    'as2-from': quoteAs2Name(config.as2Id),
    'as2-to': quoteAs2Name(a.from),
    'message-id': `<${Date.now().toString(36)}.${randomBytes(8).toString('hex')}@interlace>`,
    date: new Date().toUTCString(),
    subject: 'Message Disposition Notification',
    'mime-version': '1.0',
    'content-type': mdn.headers.find(([n]) => n.toLowerCase() === 'content-type')![1],
  };
  const asyncUrl = header(req, 'receipt-delivery-option');
  // An asynchronous MDN goes only to a known partner: an unknown sender's URL is never called (it could
  // point anywhere); it gets its refusal in the response instead.
  if (asyncUrl && known) {
    res.writeHead(200, { 'content-length': 0 }).end();
    void postMdn(asyncUrl, headers, mdn.body, { timeoutMs: config.asyncMdnTimeout, attempts: config.asyncMdnAttempts, log }).then(
      (status) => ctx.recordAnswer(a.result.messageId, { kind: 'as2-mdn', code, detail: `async MDN to ${asyncUrl}: HTTP ${status}` }),
      (err: Error) =>
        ctx.recordAnswer(a.result.messageId, {
          kind: 'as2-mdn',
          code: 'undelivered',
          detail: `async MDN (${code}) to ${asyncUrl} not delivered: ${err.message}`,
        }),
    );
    return;
  }
  let recorded = false;
  const record = (detail: string) => {
    if (recorded) return;
    recorded = true;
    ctx.recordAnswer(a.result.messageId, { kind: 'as2-mdn', code, detail });
  };
  res.once('finish', () => record(`sync MDN${sign ? ' (signed)' : ''}`));
  res.once('close', () => record('the partner closed the connection before the MDN was sent'));
  res.writeHead(200, { ...headers, 'content-length': mdn.body.length, ...(deps.stopping() ? { connection: 'close' } : {}) });
  res.end(mdn.body);
}
