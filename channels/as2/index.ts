import type { IngestResult, SourceContext, SourceDefinition } from '../types.js';
import { HttpSource } from '../http/source.js';
import { as2SourceSchema, type As2SourceConfig } from './config.js';
import { handleAs2Request, loadKeys } from './receiver.js';

export { as2SourceSchema, type As2SourceConfig } from './config.js';

/**
 * The AS2 receiver (RFC 4130), on the HTTP listener machinery: each message is unwrapped (decrypted,
 * verified against the partner's certificate, decompressed), stored, and only then answered with an
 * MDN, synchronous or asynchronous. Refused messages are stored as rejected and get a negative MDN.
 * When the channel parses X12, the engine's interchange service answers each stored payload
 * (997/999/TA1) through the partner's transport.
 */
export const as2: SourceDefinition<As2SourceConfig> = {
  type: 'as2',
  schema: as2SourceSchema,
  create: (config, ctx) => {
    const keys = loadKeys(config);
    return new HttpSource<As2SourceConfig>(config, ctx, {
      kind: 'as2',
      handler: (req, res, deps) =>
        handleAs2Request(req, res, {
          ...deps,
          keys,
          ...(ctx.interchanges ? { afterStored: (payload, result) => void answerX12(ctx, payload, result) } : {}),
        }),
    });
  },
};

/**
 * Answers a stored X12 payload (997/999/TA1, built by the engine's interchange service) through the
 * partner's transport — over AS2 for an AS2 partner, as a new message with its own MDN. Runs after the
 * MDN was sent; a failure is logged and recorded, the message stays stored.
 */
async function answerX12(ctx: SourceContext, payload: Buffer, result: IngestResult): Promise<void> {
  const service = ctx.interchanges!;
  try {
    const built = await service.answer(payload, result);
    if (!built) return;
    const receipt = await service.deliver(built, `${result.messageId}.ack.x12`, result.messageId);
    ctx.recordAnswer(
      result.messageId,
      receipt
        ? { kind: 'x12-ack', code: receipt.status, detail: receipt.detail ?? receipt.name ?? '', raw: built.body }
        : {
            kind: 'x12-ack',
            code: 'no-partner',
            detail: 'the sender has no partner file: the answer was built but not sent',
            raw: built.body,
          },
    );
  } catch (err) {
    ctx.log.warn(
      { messageId: result.messageId, err: (err as { code?: string }).code ?? (err as Error).name },
      'as2 source could not send the X12 answer',
    );
    ctx.recordAnswer(result.messageId, { kind: 'x12-ack', code: 'failed', detail: (err as Error).message.slice(0, 300) });
  }
}
