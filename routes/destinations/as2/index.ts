import { TransientDeliveryError } from '../../../lib/errors.js';
import type { PartnerFile, PartnerLink, PartnerReceipt } from '../../../lib/services.js';
import type { Delivery, DeliveryResult, Destination, DestinationContext, DestinationDefinition, PartnerLinkContext } from '../../types.js';
import { as2TransportSchema } from './config.js';
import { as2DestinationSchema, type As2DestinationConfig } from './config.js';
import { As2Link } from './link.js';

export {
  as2DestinationSchema,
  as2TransportSchema,
  as2TransportShape,
  type As2DestinationConfig,
  type As2TransportConfig,
} from './config.js';
export { As2Link, as2MessageId, type As2File, type As2Receipt } from './link.js';

/**
 * Sends each delivery as one AS2 message. The AS2 Message-ID comes from the delivery's idempotency
 * key, so every retry resends the same Message-ID (the partner answers a resend with its first MDN).
 * Resolves with status `mdn-processed` once a processed MDN with the right MIC came back, in the
 * response or at our AS2 receiver (see As2Link); the MDN owed is in the ledger, overdue past
 * `mdnDeadline`, and each retry of the route resends it.
 */
class As2Destination implements Destination {
  private readonly link: As2Link;

  constructor(config: As2DestinationConfig, ctx: DestinationContext) {
    this.link = new As2Link(config, ctx.log, { ...(ctx.services ? { mdns: ctx.services.mdns } : {}), partner: config.as2To });
  }

  async send(delivery: Delivery): Promise<DeliveryResult> {
    const receipt = await this.link.send({
      body: Buffer.from(delivery.payload.body, 'utf8'),
      contentType: delivery.payload.contentType.split(';')[0]!.trim(),
      ...(delivery.payload.path ? { name: delivery.payload.path.split('/').pop()! } : {}),
      key: delivery.idempotencyKey,
      messageId: delivery.messageId,
      deliveryId: delivery.deliveryId,
    });
    return { status: receipt.status, body: `${receipt.detail}; AS2 Message-ID ${receipt.messageId}; MIC sent ${receipt.mic}` };
  }

  health(): Promise<{ ok: boolean; detail?: string }> {
    return this.link.health();
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

/**
 * The `as2` partner transport: what the engine owes a partner whose file says `transport: { type: as2 }`
 * (an X12 interchange of the x12 destination, a 997/999/TA1 answer) goes as one AS2 message, and
 * counts as sent once its MDN is verified (receipt `mdn-processed`, the transport's receipt in the ledger).
 * A file of a route's delivery is resent by the route's retries; any other (an answer) is resent here,
 * `resend.attempts` times with doubling delays, while its first failure is reported to the caller.
 */
function as2Link(transport: { type: string; [key: string]: unknown }, ctx: PartnerLinkContext): PartnerLink {
  const config = as2TransportSchema.parse(transport);
  const link = new As2Link(config, ctx.log, { mdns: ctx.services.mdns, partner: ctx.partner });
  const timers = new Set<NodeJS.Timeout>();
  const once = async (file: PartnerFile): Promise<PartnerReceipt> => {
    const contentType = /^\s*ISA/.test(file.body.subarray(0, 16).toString('latin1')) ? 'application/edi-x12' : 'application/octet-stream';
    const receipt = await link.send({
      body: file.body,
      name: file.name,
      contentType,
      key: `${file.deliveryId ?? file.messageId ?? ''}:${file.name}`,
      messageId: file.messageId ?? file.deliveryId ?? file.name,
      ...(file.deliveryId ? { deliveryId: file.deliveryId } : {}),
    });
    return { status: receipt.status, name: file.name, detail: `${receipt.detail}; AS2 Message-ID ${receipt.messageId}` };
  };
  const resend = (file: PartnerFile, n: number) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        once(file).then(
          () => ctx.log.info({ file: file.name, messageId: file.messageId, resend: n }, 'as2 file delivered on a resend'),
          (err: unknown) => {
            const more = err instanceof TransientDeliveryError && n < config.resend.attempts;
            ctx.log.warn(
              { file: file.name, messageId: file.messageId, resend: n, err: (err as { code?: string }).code ?? (err as Error).name },
              more ? 'as2 resend failed; will resend' : 'as2 resend failed; giving up (the MDN stays overdue)',
            );
            if (more) resend(file, n + 1);
          },
        );
      },
      config.resend.delay * 2 ** (n - 1),
    );
    timer.unref();
    timers.add(timer);
  };
  return {
    async send(file: PartnerFile): Promise<PartnerReceipt> {
      try {
        return await once(file);
      } catch (err) {
        if (file.deliveryId || !(err instanceof TransientDeliveryError) || config.resend.attempts === 0) throw err;
        resend(file, 1);
        throw new TransientDeliveryError(
          err.code,
          `${err.message}; resent up to ${config.resend.attempts} times, first in ${config.resend.delay} ms`,
          { cause: err },
        );
      }
    },
    health: () => link.health(),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await link.close();
    },
  };
}

/** The `as2` destination type; also the link to partners whose transport is `as2`. */
export const as2: DestinationDefinition<As2DestinationConfig> = {
  type: 'as2',
  schema: as2DestinationSchema,
  create: (config, ctx) => new As2Destination(config, ctx),
  partnerLink: (transport, ctx) => as2Link(transport, ctx),
};
