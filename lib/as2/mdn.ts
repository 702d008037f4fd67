/**
 * AS2 message disposition notifications (RFC 4130 §7, RFC 3798/8098): multipart/report with a
 * human-readable part and a message/disposition-notification part, signed (multipart/signed) when the
 * sender asks for it in `Disposition-Notification-Options`.
 */
import { ParseError } from '../errors.js';
import { digestByMicalg, formatMic, parseMic, type DigestName } from './algorithms.js';
import type { As2Certificate, As2Identity } from './certs.js';
import { verifyDetached } from './cms-signed.js';
import { guarded, signedEntity, type Mic } from './message.js';
import {
  buildEntity,
  decodeBody,
  headerValue,
  joinMultipart,
  newBoundary,
  parseContentType,
  parseEntity,
  parseHeaderBlock,
  splitMultipart,
  type MimeEntity,
  type MimeHeaders,
} from './mime.js';

/** The RFC 4130 §7.5.3 error modifiers. */
export type DispositionModifier =
  | 'decryption-failed'
  | 'authentication-failed'
  | 'integrity-check-failed'
  | 'decompression-failed'
  | 'insufficient-message-security'
  | 'unexpected-processing-error';

const MODIFIER_BY_CODE: Record<string, DispositionModifier> = {
  'as2-decryption-failed': 'decryption-failed',
  'as2-authentication-failed': 'authentication-failed',
  'as2-integrity-check-failed': 'integrity-check-failed',
  'as2-decompression-failed': 'decompression-failed',
  'as2-insufficient-security': 'insufficient-message-security',
};

/** The disposition modifier an error of `unpack` (or anything else) gets in the MDN. */
export function dispositionFor(err: unknown): DispositionModifier {
  const code = (err as { code?: unknown })?.code;
  return (typeof code === 'string' && MODIFIER_BY_CODE[code]) || 'unexpected-processing-error';
}

/** What the sender asked for in `Disposition-Notification-Options` (RFC 4130 §7.3). */
export type MdnRequest = { signed: boolean; signedRequired: boolean; micDigests: DigestName[]; unsupportedMicalgs: string[] };

export function parseMdnOptions(value: string | undefined): MdnRequest {
  const out: MdnRequest = { signed: false, signedRequired: false, micDigests: [], unsupportedMicalgs: [] };
  for (const param of (value ?? '').split(';')) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    const [importance = '', ...values] = param
      .slice(eq + 1)
      .split(',')
      .map((v) => v.trim().toLowerCase());
    if (name === 'signed-receipt-protocol' && values.includes('pkcs7-signature')) {
      out.signed = true;
      out.signedRequired = importance === 'required';
    }
    if (name === 'signed-receipt-micalg') {
      for (const v of values) {
        const d = digestByMicalg(v);
        if (d) out.micDigests.push(d);
        else out.unsupportedMicalgs.push(v);
      }
    }
  }
  return out;
}

export type MdnContent = {
  reportingUa: string;
  /** Our AS2 name as the message addressed it (AS2-To). */
  recipient: string;
  originalMessageId: string;
  /** Absent: `processed`. */
  modifier?: DispositionModifier;
  mic?: Mic;
  /** The human-readable part: what happened, with no payload content. */
  explanation: string;
};

/** The disposition field value (RFC 3798 §3.2.6). */
export function dispositionText(modifier?: DispositionModifier): string {
  return `automatic-action/MDN-sent-automatically; processed${modifier ? `/error: ${modifier}` : ''}`;
}

/** Builds the MDN entity; signed when `sign` is given. Its headers go to HTTP, its body is the HTTP body. */
export function buildMdn(c: MdnContent, sign?: { identity: As2Identity; digest: DigestName }): MimeEntity {
  const fields = [
    `Reporting-UA: ${c.reportingUa}`,
    `Original-Recipient: rfc822; ${c.recipient}`,
    `Final-Recipient: rfc822; ${c.recipient}`,
    `Original-Message-ID: ${c.originalMessageId}`,
    `Disposition: ${dispositionText(c.modifier)}`,
    ...(c.mic ? [`Received-Content-MIC: ${formatMic(c.mic)}`] : []),
  ];
  const text = buildEntity(
    [
      ['Content-Type', 'text/plain; charset=us-ascii'],
      ['Content-Transfer-Encoding', '7bit'],
    ],
    Buffer.from(c.explanation.replace(/[^\x20-\x7e\n]/g, '?').replace(/\r?\n/g, '\r\n') + '\r\n', 'latin1'),
  );
  const notification = buildEntity(
    [
      ['Content-Type', 'message/disposition-notification'],
      ['Content-Transfer-Encoding', '7bit'],
    ],
    Buffer.from(fields.join('\r\n') + '\r\n', 'latin1'),
  );
  const boundary = newBoundary();
  const report = buildEntity(
    [['Content-Type', `multipart/report; report-type=disposition-notification; boundary="${boundary}"`]],
    joinMultipart([text.raw, notification.raw], boundary),
  );
  return sign ? signedEntity(report, sign.identity, sign.digest) : report;
}

export type ParsedMdn = {
  originalMessageId?: string;
  disposition: string;
  /** `processed` with no error modifier (a warning still counts as processed). */
  processed: boolean;
  /** The error or failure text after `processed/error:` or `failed/failure:`. */
  error?: string;
  mic?: Mic;
  /** The digest of the MDN's signature, when it was signed. */
  signed?: DigestName;
  explanation: string;
};

/**
 * Reads an MDN received from a partner. A signed MDN is verified against the partner's certificates
 * (ParseError `as2-authentication-failed` / `as2-integrity-check-failed`); an unsigned one is refused
 * with `as2-mdn-unsigned` when `requireSigned`.
 */
export function readMdn(headers: MimeHeaders, body: Buffer, o: { partner: readonly As2Certificate[]; requireSigned: boolean }): ParsedMdn {
  let entity: MimeEntity = { headers, body, raw: body };
  let ct = parseContentType(headerValue(headers, 'content-type'));
  let signed: DigestName | undefined;
  if (ct.type === 'multipart/signed') {
    const parts = splitMultipart(body, ct.params['boundary'] ?? '', 'the signed MDN');
    if (parts.length !== 2) throw new ParseError('mime-malformed', `the signed MDN has ${parts.length} parts; expected 2`);
    const signature = decodeBody(parseEntity(parts[1]!, 'the MDN signature part'), 'the MDN signature part');
    signed = guarded('as2-authentication-failed', 'the MDN signature', () => verifyDetached(signature, parts[0]!, o.partner)).digest;
    entity = parseEntity(parts[0]!, 'the signed MDN content');
    ct = parseContentType(headerValue(entity.headers, 'content-type'));
  } else if (o.requireSigned) {
    throw new ParseError('as2-mdn-unsigned', `the MDN is ${ct.type}, not signed; a signed MDN was requested`);
  }
  if (ct.type !== 'multipart/report') throw new ParseError('as2-mdn-malformed', `the MDN is ${ct.type}; expected multipart/report`);
  const parts = splitMultipart(entity.body, ct.params['boundary'] ?? '', 'the MDN report').map((p, i) =>
    parseEntity(p, `MDN part ${i + 1}`),
  );
  const dn = parts.find((p) => parseContentType(headerValue(p.headers, 'content-type')).type === 'message/disposition-notification');
  if (!dn) throw new ParseError('as2-mdn-malformed', 'the MDN has no message/disposition-notification part');
  const fields = parseHeaderBlock(decodeBody(dn, 'the disposition part').toString('latin1'), 'the disposition part');
  const disposition = headerValue(fields, 'disposition');
  if (!disposition) throw new ParseError('as2-mdn-malformed', 'the MDN has no Disposition field');
  const after = disposition.slice(disposition.indexOf(';') + 1).trim();
  const m = /^(processed|failed)(?:\s*\/\s*(error|warning|failure)\s*:\s*(.*))?$/i.exec(after);
  const micText = headerValue(fields, 'received-content-mic');
  const mic = micText ? parseMic(micText) : undefined;
  const textPart = parts.find((p) => p !== dn);
  const originalMessageId = headerValue(fields, 'original-message-id');
  const severe = m?.[2] && m[2].toLowerCase() !== 'warning';
  return {
    ...(originalMessageId ? { originalMessageId } : {}),
    disposition: after,
    processed: !!m && m[1]!.toLowerCase() === 'processed' && !severe,
    ...(severe || !m ? { error: m?.[3]?.trim() || after } : {}),
    ...(mic ? { mic } : {}),
    ...(signed ? { signed } : {}),
    explanation: textPart ? decodeBody(textPart).toString('latin1').trim() : '',
  };
}

/** What an MDN says about a message we sent, checked against what we computed when sending it. */
export type MdnVerdict =
  { ok: true; detail: string } | { ok: false; code: 'as2-mdn-negative' | 'as2-mic-mismatch' | 'as2-mdn-mismatch'; detail: string };

/**
 * Judges a verified MDN against the message it should answer: the same Original-Message-ID (when the
 * MDN names one), a `processed` disposition, and a `Received-Content-MIC` equal to the MIC of what we
 * sent in the MDN's digest. The sync and the async paths both decide with this.
 */
export function judgeMdn(mdn: ParsedMdn, sent: { as2MessageId: string; mics: Partial<Record<string, string>> }): MdnVerdict {
  if (mdn.originalMessageId && mdn.originalMessageId !== sent.as2MessageId)
    return {
      ok: false,
      code: 'as2-mdn-mismatch',
      detail: `the MDN answers Message-ID ${mdn.originalMessageId.slice(0, 200)}, not ${sent.as2MessageId}`,
    };
  if (!mdn.processed)
    return {
      ok: false,
      code: 'as2-mdn-negative',
      detail: `the partner answered "${mdn.disposition.slice(0, 200)}"${mdn.explanation ? `: ${mdn.explanation.slice(0, 300)}` : ''}`,
    };
  if (!mdn.mic)
    return { ok: false, code: 'as2-mic-mismatch', detail: 'the MDN has no Received-Content-MIC; expected the MIC of what we sent' };
  const ours = sent.mics[mdn.mic.digest];
  if (mdn.mic.value !== ours)
    return {
      ok: false,
      code: 'as2-mic-mismatch',
      detail: `the MDN's MIC (${formatMic(mdn.mic)}) differs from the one of what we sent (${ours ? formatMic({ value: ours, digest: mdn.mic.digest }) : `none in ${mdn.mic.digest}`}): the partner received other bytes`,
    };
  return { ok: true, detail: `MDN processed${mdn.signed ? ', signature verified' : ''}, MIC ${formatMic(mdn.mic)} matches` };
}

/**
 * Whether a request to the AS2 receiver carries an MDN rather than a message: a multipart/report, or
 * a multipart/signed whose signed part is one (RFC 4130 §7.4; an MDN is never encrypted).
 */
export function isMdnEntity(headers: MimeHeaders, body: Buffer): boolean {
  const ct = parseContentType(headerValue(headers, 'content-type'));
  if (ct.type === 'multipart/report') return true;
  if (ct.type !== 'multipart/signed') return false;
  try {
    const parts = splitMultipart(body, ct.params['boundary'] ?? '', 'the signed body');
    const first = parts[0] && parseEntity(parts[0], 'the signed part');
    return !!first && parseContentType(headerValue(first.headers, 'content-type')).type === 'multipart/report';
  } catch {
    return false;
  }
}

/** The Original-Message-ID an MDN claims to answer, read without trusting it (to say which delivery a forged or broken MDN named). */
export function claimedOriginalMessageId(body: Buffer): string | undefined {
  const m = /^Original-Message-ID:[ \t]*(<[^>\r\n]{1,500}>)/im.exec(body.toString('latin1'));
  return m?.[1];
}
