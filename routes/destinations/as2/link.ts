import { createHash } from 'node:crypto';
import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import { readSecretFile } from '../../../lib/secrets.js';
import { ConfigError, ParseError, PermanentDeliveryError, TransientDeliveryError } from '../../../lib/errors.js';
import type { MdnRecord, MdnServices } from '../../../lib/services.js';
import type { Logger } from '../../../lib/log.js';
import {
  formatMic,
  judgeMdn,
  loadCertificate,
  loadIdentity,
  micalgName,
  pack,
  quoteAs2Name,
  readMdn,
  type As2Certificate,
  type As2Identity,
  type CipherName,
  type DigestName,
  type ParsedMdn,
} from '../../../lib/as2/index.js';
import { excerpt } from '../../excerpt.js';
import { httpRequest } from '../http-request.js';
import type { As2TransportConfig } from './config.js';

const CIPHERS: Record<string, CipherName | undefined> = {
  'aes128-cbc': 'aes-128-cbc',
  'aes192-cbc': 'aes-192-cbc',
  'aes256-cbc': 'aes-256-cbc',
  '3des': 'des-ede3-cbc',
  none: undefined,
};

/** One file for the partner: the payload and what identifies it across retries. */
export type As2File = {
  body: Buffer;
  /** MIME filename of the payload. */
  name?: string;
  contentType?: string;
  /** Stable across retries (the delivery id, or message id + name): the AS2 Message-ID is derived from it. */
  key: string;
  /** The stored message the file belongs to, and the delivery sending it: where the MDN is recorded. */
  messageId: string;
  deliveryId?: string;
};

/** What the partner answered, once the message was accepted. */
export type As2Receipt = { status: 'mdn-processed' | 'sent-no-mdn'; messageId: string; mic: string; detail: string; mdn?: ParsedMdn };

/** The AS2 Message-ID of a file: the same on every attempt, so a resend is recognised as one. */
export function as2MessageId(key: string, as2From: string): string {
  const host = as2From.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64) || 'as2';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${host}.interlace>`;
}

/** How often an attempt waiting for an asynchronous MDN looks in the ledger. */
const ASYNC_POLL_MS = 250;

/**
 * Sends to one AS2 partner: builds the message of the partner profile (compress, sign, encrypt),
 * records the MDN it asks for in the ledger (MIC of what is sent, deadline `mdnDeadline` after the
 * first send), POSTs it, and gets the MDN: in the response (`mdn: sync`), or at our AS2 receiver
 * (`mdn: async`, `Receipt-Delivery-Option: asyncMdnUrl`), which verifies and settles it in the
 * ledger while this attempt waits up to `asyncMdnWait`. Either way the MDN's signature is verified
 * against the partner certificate and its MIC compared with the one computed at send time
 * (`judgeMdn`). Resolves only for a `processed` MDN with the right MIC (or when no MDN is asked).
 * Throws TransientDeliveryError when no MDN came (timeout, network, 5xx, empty answer, no async MDN
 * in time): the caller resends with the same Message-ID, and an attempt that finds the async MDN
 * arrived meanwhile does not send again. PermanentDeliveryError for a negative MDN, a wrong MIC, a bad
 * MDN signature or a 4xx.
 */
export class As2Link {
  private readonly ours: As2Identity | undefined;
  private readonly partner: As2Certificate;
  private readonly url: URL;
  private readonly label: string;
  private readonly agent: nodeHttp.Agent;
  private closed = false;

  constructor(
    private readonly config: As2TransportConfig | (Omit<As2TransportConfig, 'type'> & { type: string }),
    private readonly log: Logger,
    /** The MDN ledger and the partner id it files MDNs under; without a ledger (outside the engine) nothing is recorded. */
    private readonly ledger: { mdns?: MdnServices; partner: string },
  ) {
    const c = config;
    this.ours =
      c.signCert && c.signKey
        ? loadIdentity(readSecretFile(c.signCert, 'signCert'), readSecretFile(c.signKey, 'signKey'), `as2 ${c.as2From}`)
        : undefined;
    this.partner = loadCertificate(readSecretFile(c.partnerCert, 'partnerCert'), `partnerCert ${c.partnerCert}`);
    this.url = new URL(c.url);
    this.label = `${this.url.protocol}//${this.url.host}${this.url.pathname}`;
    this.agent = this.url.protocol === 'https:' ? new nodeHttps.Agent({ keepAlive: true }) : new nodeHttp.Agent({ keepAlive: true });
    if (c.mdn === 'async' && !ledger.mdns)
      throw new ConfigError(
        'engine-service-missing',
        `as2 to ${c.as2To}: an asynchronous MDN needs the engine's MDN ledger; expected to run inside the engine`,
      );
  }

  async send(file: As2File): Promise<As2Receipt> {
    const c = this.config;
    const messageId = as2MessageId(file.key, c.as2From);
    if (c.mdn === 'async') {
      const earlier = await this.ledger.mdns!.find(c.as2To, messageId);
      if (earlier?.settledAt !== undefined) {
        const d: DigestName = c.sign === 'none' ? 'sha256' : c.sign;
        return this.settled(earlier, messageId, formatMic({ value: earlier.mics[d] ?? '', digest: d }));
      }
    }
    const digest = c.sign === 'none' ? undefined : (c.sign as DigestName);
    const cipher = CIPHERS[c.encryption];
    const packed = pack({
      payload: file.body,
      contentType: c.contentType ?? file.contentType ?? 'application/octet-stream',
      ...(file.name ? { fileName: file.name } : {}),
      ...(digest && this.ours ? { sign: { identity: this.ours, digest } } : {}),
      ...(cipher ? { encrypt: { recipient: this.partner, cipher } } : {}),
      ...(c.compress !== 'none' ? { compress: c.compress } : {}),
    });
    const micDigest = packed.micDigest;
    const mic = formatMic({ value: packed.mics[micDigest], digest: micDigest });
    const headers: Record<string, string> = {
      'as2-version': '1.2',
      'as2-from': quoteAs2Name(c.as2From),
      'as2-to': quoteAs2Name(c.as2To),
      'message-id': messageId,
      subject: c.subject,
      date: new Date().toUTCString(),
      'mime-version': '1.0',
      'content-length': String(packed.entity.body.length),
    };
    for (const [n, v] of packed.entity.headers) headers[n.toLowerCase()] = v;
    if (c.mdn !== 'none') {
      headers['disposition-notification-to'] = c.as2From.replace(/[\r\n]/g, '');
      if (c.mdnSigned)
        headers['disposition-notification-options'] =
          `signed-receipt-protocol=required, pkcs7-signature; signed-receipt-micalg=required, ${micalgName(micDigest)}`;
      if (c.mdn === 'async') headers['receipt-delivery-option'] = c.asyncMdnUrl!;
      await this.ledger.mdns?.expect({
        partner: this.ledger.partner,
        as2From: c.as2From,
        as2To: c.as2To,
        as2MessageId: messageId,
        messageId: file.messageId,
        ...(file.deliveryId ? { deliveryId: file.deliveryId } : {}),
        ...(file.name ? { file: file.name } : {}),
        mode: c.mdn,
        signed: c.mdnSigned,
        mics: packed.mics,
        dueAt: Date.now() + c.mdnDeadline,
      });
    }
    const res = await httpRequest(this.url, {
      method: 'POST',
      headers,
      body: packed.entity.body,
      agent: this.agent,
      timeoutMs: c.timeout,
      maxResponseBytes: c.maxMdnBytes,
      label: this.label,
    });
    const response = { status: String(res.status), body: excerpt(res.body.toString('latin1')) };
    if (res.status >= 500 || res.status === 408 || res.status === 429)
      throw new TransientDeliveryError(
        'as2-partner-unavailable',
        `${this.label} answered HTTP ${res.status}; the message will be resent with the same Message-ID`,
        { response },
      );
    if (res.status < 200 || res.status >= 300)
      throw new PermanentDeliveryError('as2-refused', `${this.label} refused the message with HTTP ${res.status}`, { response });
    if (c.mdn === 'none') return { status: 'sent-no-mdn', messageId, mic, detail: `HTTP ${res.status}; no MDN requested` };
    if (c.mdn === 'async') return this.awaitAsync(messageId, mic);
    if (res.body.length === 0)
      throw new TransientDeliveryError(
        'as2-mdn-missing',
        `${this.label} answered HTTP ${res.status} without the MDN; the message will be resent with the same Message-ID`,
        { response },
      );
    if (res.truncated)
      throw new PermanentDeliveryError('as2-mdn-malformed', `the MDN is larger than maxMdnBytes (${c.maxMdnBytes})`, { response });
    const contentType = [res.headers['content-type']].flat()[0] ?? '';
    let mdn: ParsedMdn;
    try {
      mdn = readMdn([['Content-Type', contentType]], res.body, { partner: [this.partner], requireSigned: c.mdnSigned });
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      const code =
        err.code === 'as2-integrity-check-failed' || err.code === 'as2-authentication-failed' ? 'as2-mdn-signature-invalid' : err.code;
      await this.record(messageId, { outcome: code, detail: `the MDN could not be accepted: ${err.message}`, settle: false });
      throw new PermanentDeliveryError(code, `the MDN could not be accepted: ${err.message}`, { cause: err, response });
    }
    const verdict = judgeMdn(mdn, { as2MessageId: messageId, mics: packed.mics });
    if (verdict.ok || verdict.code !== 'as2-mdn-mismatch')
      await this.record(messageId, { outcome: verdict.ok ? 'processed' : verdict.code, detail: verdict.detail, settle: true });
    if (!verdict.ok)
      throw new PermanentDeliveryError(verdict.code, verdict.detail, {
        response: verdict.code === 'as2-mdn-negative' ? { status: `mdn ${mdn.error ?? 'failed'}`, body: response.body } : response,
      });
    this.log.debug({ as2MessageId: messageId }, 'as2 MDN verified');
    return { status: 'mdn-processed', messageId, mic, detail: verdict.detail, mdn };
  }

  /** Writes a synchronous MDN in the ledger against what it answers. */
  private async record(messageId: string, r: { outcome: string; detail: string; settle: boolean }): Promise<void> {
    const mdns = this.ledger.mdns;
    if (!mdns) return;
    const owed = await mdns.find(this.config.as2To, messageId);
    if (owed) await mdns.settle({ id: owed.id, ...r });
  }

  /** An async MDN settled in the ledger by our receiver: the delivery's outcome. */
  private settled(r: MdnRecord, messageId: string, mic: string): As2Receipt {
    if (r.outcome === 'processed') return { status: 'mdn-processed', messageId, mic, detail: r.detail ?? 'async MDN processed' };
    const code = (r.outcome ?? 'as2-mdn-negative') as 'as2-mdn-negative';
    throw new PermanentDeliveryError(code, `the asynchronous MDN was not accepted: ${r.detail ?? r.outcome}`, {
      response: { status: `mdn ${r.outcome}`, body: r.detail ?? '' },
    });
  }

  /** Waits for our receiver to settle the asynchronous MDN in the ledger, up to `asyncMdnWait`. */
  private async awaitAsync(messageId: string, mic: string): Promise<As2Receipt> {
    const until = Date.now() + this.config.asyncMdnWait;
    while (!this.closed) {
      const r = await this.ledger.mdns!.find(this.config.as2To, messageId);
      if (r?.settledAt !== undefined) return this.settled(r, messageId, mic);
      if (Date.now() >= until) break;
      await new Promise((resolve) => setTimeout(resolve, ASYNC_POLL_MS).unref());
    }
    throw new TransientDeliveryError(
      'as2-mdn-missing',
      `no asynchronous MDN reached ${this.config.asyncMdnUrl} within ${this.config.asyncMdnWait} ms; the message will be resent with the same Message-ID unless the MDN arrives first`,
    );
  }

  /** Whether the partner's endpoint answers at all (any HTTP status counts). */
  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      const res = await httpRequest(this.url, {
        method: 'GET',
        headers: {},
        body: Buffer.alloc(0),
        agent: this.agent,
        timeoutMs: 3000,
        maxResponseBytes: 1024,
        label: this.label,
      });
      return { ok: true, detail: `HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }
}
