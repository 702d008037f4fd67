import { createHash } from 'node:crypto';
import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import { readSecretFile } from '../../../lib/secrets.js';
import { ParseError, PermanentDeliveryError, TransientDeliveryError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/log.js';
import {
  formatMic,
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
};

/** What the partner answered, once the message was accepted. */
export type As2Receipt = { status: 'mdn-processed' | 'sent-no-mdn'; messageId: string; mic: string; detail: string; mdn?: ParsedMdn };

/** The AS2 Message-ID of a file: the same on every attempt, so a resend is recognised as one. */
export function as2MessageId(key: string, as2From: string): string {
  const host = as2From.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64) || 'as2';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${host}.interlace>`;
}

/**
 * Sends to one AS2 partner: builds the message of the partner profile (compress, sign, encrypt),
 * POSTs it, and reads the synchronous MDN: its signature is verified against the partner certificate
 * and its MIC compared with the one computed at send time. Resolves only for a `processed` MDN with
 * the right MIC (or when no MDN is asked). Throws TransientDeliveryError when no MDN came (timeout,
 * network, 5xx, empty answer): the route resends with the same Message-ID; PermanentDeliveryError for
 * a negative MDN, a wrong MIC, a bad MDN signature or a 4xx.
 */
export class As2Link {
  private readonly ours: As2Identity | undefined;
  private readonly partner: As2Certificate;
  private readonly url: URL;
  private readonly label: string;
  private readonly agent: nodeHttp.Agent;

  constructor(
    private readonly config: As2TransportConfig | (Omit<As2TransportConfig, 'type'> & { type: string }),
    private readonly log: Logger,
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
  }

  async send(file: As2File): Promise<As2Receipt> {
    const c = this.config;
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
    const messageId = as2MessageId(file.key, c.as2From);
    const micDigest = packed.micDigest;
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
    if (c.mdn === 'sync') {
      headers['disposition-notification-to'] = c.as2From.replace(/[\r\n]/g, '');
      if (c.mdnSigned)
        headers['disposition-notification-options'] =
          `signed-receipt-protocol=required, pkcs7-signature; signed-receipt-micalg=required, ${micalgName(micDigest)}`;
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
    const mic = formatMic({ value: packed.mics[micDigest], digest: micDigest });
    if (c.mdn === 'none') return { status: 'sent-no-mdn', messageId, mic, detail: `HTTP ${res.status}; no MDN requested` };
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
      throw new PermanentDeliveryError(
        err.code === 'as2-integrity-check-failed' || err.code === 'as2-authentication-failed' ? 'as2-mdn-signature-invalid' : err.code,
        `the MDN could not be accepted: ${err.message}`,
        { cause: err, response },
      );
    }
    if (mdn.originalMessageId && mdn.originalMessageId !== messageId) {
      throw new PermanentDeliveryError(
        'as2-mdn-mismatch',
        `the MDN answers Message-ID ${mdn.originalMessageId.slice(0, 200)}, not ${messageId}`,
        { response },
      );
    }
    if (!mdn.processed)
      throw new PermanentDeliveryError(
        'as2-mdn-negative',
        `the partner answered "${mdn.disposition.slice(0, 200)}"${mdn.explanation ? `: ${mdn.explanation.slice(0, 300)}` : ''}`,
        { response: { status: `mdn ${mdn.error ?? 'failed'}`, body: response.body } },
      );
    if (!mdn.mic)
      throw new PermanentDeliveryError('as2-mic-mismatch', 'the MDN has no Received-Content-MIC; expected the MIC of what we sent', {
        response,
      });
    if (mdn.mic.value !== packed.mics[mdn.mic.digest]) {
      throw new PermanentDeliveryError(
        'as2-mic-mismatch',
        `the MDN's MIC (${formatMic(mdn.mic)}) differs from the one of what we sent (${formatMic({ value: packed.mics[mdn.mic.digest], digest: mdn.mic.digest })}): the partner received other bytes`,
        { response },
      );
    }
    this.log.debug({ as2MessageId: messageId }, 'as2 MDN verified');
    return {
      status: 'mdn-processed',
      messageId,
      mic,
      detail: `MDN processed${mdn.signed ? ', signature verified' : ''}, MIC ${formatMic(mdn.mic)} matches`,
      mdn,
    };
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
    this.agent.destroy();
  }
}
