import type { IncomingMessage, ServerResponse } from 'node:http';
import { ParseError } from '../../lib/errors.js';
import type { ErrorCode } from '../../lib/error-codes.js';
import { claimedOriginalMessageId, judgeMdn, readMdn, type ParsedMdn } from '../../lib/as2/index.js';
import type { MdnRecord } from '../../lib/services.js';
import { sendError, type RequestDeps } from '../http/request.js';
import type { As2SourceConfig } from './config.js';
import type { As2Keys } from './receiver.js';

export type IncomingMdn = { from?: string; to?: string; contentType: string; body: Buffer };

/**
 * An asynchronous MDN POSTed to the receiver, answering a message our AS2 sender sent with
 * `Receipt-Delivery-Option` (RFC 4130 §7.3). It is never stored as a message. It must come from a
 * partner of this receiver (AS2-From), to us (AS2-To), answer a Message-ID we sent that partner and
 * still wait for (the ledger's MDNs owed), and verify with the partner's certificate; then its
 * disposition and MIC are judged against what we sent (`judgeMdn`) and it settles the MDN owed,
 * recorded (kind `mdn`) on the message and delivery it answers. A refused MDN is answered 4xx with one
 * sentence and logged; one that names a delivery of ours but fails its signature is also written on
 * that delivery, without settling it (the sender keeps waiting, then resends).
 */
export async function receiveMdn(
  req: IncomingMessage,
  res: ServerResponse,
  deps: RequestDeps<As2SourceConfig> & { keys: As2Keys },
  mdn: IncomingMdn,
): Promise<void> {
  const { config, ctx, log } = deps;
  const refuse = (status: number, code: ErrorCode, message: string, fields: Record<string, unknown> = {}) => {
    log.warn({ code, from: mdn.from, ...fields }, 'as2 MDN refused');
    sendError(deps, res, status, code, message);
  };
  const ledger = ctx.services?.mdns;
  if (!ledger) return refuse(400, 'as2-mdn-unknown', 'this receiver runs without the MDN ledger, so the MDN answers nothing it sent');
  const partner = mdn.from ? deps.keys.partners.get(mdn.from) : undefined;
  if (!mdn.from || !partner)
    return refuse(
      403,
      'as2-unknown-partner',
      `the MDN comes from AS2-From "${(mdn.from ?? '').slice(0, 128)}", which is not a trading partner of this receiver`,
    );
  if (mdn.to !== config.as2Id)
    return refuse(
      400,
      'as2-unknown-recipient',
      `the MDN is addressed to AS2-To "${(mdn.to ?? '').slice(0, 128)}", which is not this receiver (${config.as2Id})`,
    );
  let parsed: ParsedMdn | undefined;
  let failure: ParseError | undefined;
  try {
    parsed = readMdn([['Content-Type', mdn.contentType]], mdn.body, { partner: [partner.certificate], requireSigned: false });
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    failure = err;
  }
  const claimed = parsed?.originalMessageId ?? claimedOriginalMessageId(mdn.body);
  const owed = claimed ? await ledger.find(mdn.from, claimed) : undefined;
  if (!claimed || !owed || owed.as2From !== config.as2Id)
    return refuse(
      400,
      'as2-mdn-unknown',
      claimed
        ? `the MDN answers Message-ID ${claimed.slice(0, 200)}, which we never sent to ${mdn.from}`
        : 'the MDN names no Original-Message-ID; expected the Message-ID of a message we sent',
      { originalMessageId: claimed?.slice(0, 200) },
    );
  if (failure || !parsed || (owed.signed && !parsed.signed)) {
    const code: ErrorCode = !failure
      ? 'as2-mdn-unsigned'
      : failure.code === 'as2-integrity-check-failed' || failure.code === 'as2-authentication-failed'
        ? 'as2-mdn-signature-invalid'
        : failure.code;
    const reason = failure ? failure.message : 'it is not signed, and a signed MDN was asked for';
    await ledger.settle({
      id: owed.id,
      outcome: code,
      detail: `an asynchronous MDN from ${mdn.from} was refused: ${reason}`,
      settle: false,
    });
    return refuse(code === 'as2-mdn-signature-invalid' ? 403 : 400, code, `the MDN was refused: ${reason}`, { messageId: owed.messageId });
  }
  await settle(res, deps, owed, parsed);
}

async function settle(res: ServerResponse, deps: RequestDeps<As2SourceConfig>, owed: MdnRecord, parsed: ParsedMdn): Promise<void> {
  const verdict = judgeMdn(parsed, { as2MessageId: owed.as2MessageId, mics: owed.mics });
  const outcome = verdict.ok ? 'processed' : verdict.code;
  const first = await deps.ctx.services!.mdns.settle({ id: owed.id, outcome, detail: `async ${verdict.detail}`, settle: true });
  const fields = { messageId: owed.messageId, deliveryId: owed.deliveryId, outcome, first };
  if (verdict.ok) deps.log.debug(fields, 'as2 async MDN recorded');
  else deps.log.warn(fields, 'as2 async MDN recorded, not processed');
  const text = first
    ? `MDN recorded for Message-ID ${owed.as2MessageId}: ${verdict.ok ? 'processed' : outcome}\r\n`
    : `MDN for Message-ID ${owed.as2MessageId} was recorded before; nothing changed\r\n`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=us-ascii', 'content-length': Buffer.byteLength(text) }).end(text);
}
